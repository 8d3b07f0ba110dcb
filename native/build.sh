#!/usr/bin/env bash
# Builds native/dist/sbe_decoder.wasm from native/src with Debian's clang-14 (freestanding wasm32:
# no libc, no exceptions). The output is committed so users need no C++ toolchain.
#   npm run build:native              rebuild in place
#   npm run build:native -- --check   rebuild to a temp file and fail if it differs from the committed
#                                     bytes (CI: the build must be reproducible)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/dist/sbe_decoder.wasm"
cxx="${CXX_WASM:-clang++-14}"

if ! command -v "$cxx" >/dev/null 2>&1 || ! command -v wasm-ld-14 >/dev/null 2>&1; then
  echo "build:native needs clang-14 and lld-14: apt-get install -y clang-14 lld-14" >&2
  exit 1
fi

build() {
  # Paths are relative to native/ and the prefix map is fixed, so the bytes do not depend on where
  # the repository is checked out. Exports are named in the source (export_name attributes).
  (cd "$here" && "$cxx" --target=wasm32 -std=c++17 -O3 \
    -nostdlib -fno-exceptions -fno-rtti -ffreestanding \
    -mbulk-memory -mnontrapping-fptoint -msign-ext \
    -ffile-prefix-map="$here"=. -Wall -Wextra -Werror \
    -Wl,--no-entry -Wl,--strip-all -Wl,-z,stack-size=65536 \
    -o "$1" src/sbe_decoder.cpp)
}

if [[ "${1:-}" == "--check" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  build "$tmp/sbe_decoder.wasm"
  if ! cmp -s "$tmp/sbe_decoder.wasm" "$out"; then
    echo "native/dist/sbe_decoder.wasm differs from a fresh build of native/src:" >&2
    echo "  committed $(sha256sum <"$out" | cut -c1-16)  rebuilt $(sha256sum <"$tmp/sbe_decoder.wasm" | cut -c1-16)" >&2
    echo "run 'npm run build:native' and commit the result" >&2
    exit 1
  fi
  echo "native/dist/sbe_decoder.wasm is reproducible ($(wc -c <"$out") bytes, sha256 $(sha256sum <"$out" | cut -c1-16))"
else
  build "$out"
  echo "built native/dist/sbe_decoder.wasm ($(wc -c <"$out") bytes, sha256 $(sha256sum <"$out" | cut -c1-16))"
fi
