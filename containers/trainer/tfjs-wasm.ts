/**
 * tfjs on its WASM backend (tfjs-node downloads a native binary at install and is not used here).
 * The .wasm files ship inside @tensorflow/tfjs-backend-wasm/dist; `setWasmPaths` needs that directory
 * with a trailing slash. Idempotent.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

let ready: Promise<typeof tf> | undefined;

export function wasmDirectory(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
}

export function initTfjsWasm(directory: string = wasmDirectory()): Promise<typeof tf> {
  ready ??= (async () => {
    setWasmPaths(`${directory}/`);
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs could not start its WASM backend.');
    await tf.ready();
    return tf;
  })();
  return ready;
}
