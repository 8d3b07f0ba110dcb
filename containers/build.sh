#!/usr/bin/env bash
# The build steps of the container images, defined once. Each Dockerfile runs
#   bash containers/build.sh <service> <outdir>
# in its build stage, and test/assets/deployed-artifacts.test.ts runs the same command here, so the
# image and the tested build cannot diverge. It bundles containers/<service>/main.ts from its entry
# point (every source file it imports is picked up, new ones included) into <outdir>/main.mjs, and
# copies beside it the files the bundle loads at run time. Needs node_modules (npm ci).
# The banner gives bundled CommonJS code a `require`; its import is aliased because sources may
# import createRequire themselves (the trainer does), and a second top-level binding is a SyntaxError.
set -euo pipefail

usage="usage: containers/build.sh <sbe-ingestor|inference|trainer> <outdir>"
service="${1:?$usage}"
out="${2:?$usage}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

externals=()
decoder=no
case "$service" in
  # The WASM SBE decoder: native/wasm-decoder.ts loads ./dist/sbe_decoder.wasm next to the bundle.
  sbe-ingestor) decoder=yes ;;
  inference) ;;
  # tfjs loads its .wasm binaries from node_modules and PGlite its data files: installed in the
  # image (npm ci --omit=dev), not bundled.
  trainer) decoder=yes externals=(--external:@tensorflow/* --external:@electric-sql/pglite) ;;
  *) echo "containers/build.sh: unknown service '$service'. $usage" >&2; exit 2 ;;
esac

mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$root"
node_modules/.bin/esbuild "containers/$service/main.ts" --bundle --platform=node --target=node22 \
  --format=esm --outfile="$out/main.mjs" --sourcemap --log-level=warning "${externals[@]}" \
  --banner:js="import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"
if [ "$decoder" = yes ]; then
  mkdir -p "$out/dist"
  cp native/dist/sbe_decoder.wasm "$out/dist/sbe_decoder.wasm"
fi
