/**
 * The WASM SBE decoder (native/src/sbe_decoder.cpp) behind the SbeBatchDecoder interface. The module
 * is compiled once per process; each decoder is one instance with its own fixed areas in linear
 * memory (about 8 MiB, never grown, so the typed-array views below stay attached). Decoded records
 * are read in place from WASM memory: no copy out, no allocation per message.
 */
import { readFileSync } from 'node:fs';
import {
  ABI_VERSION,
  FRAME_CAPACITY,
  INPUT_CAPACITY,
  LEVEL_CAPACITY,
  LEVEL_STRIDE,
  MESSAGE_STRIDE,
  TRADE_CAPACITY,
  TRADE_STRIDE,
} from '../core/sbe/abi.ts';
import { SbeBatchDecoder } from '../core/sbe/batch-decoder.ts';
import type { DecodedBatch } from '../core/sbe/decoded-batch.ts';

/** Where `npm run build:native` writes the module; bundlers copy it next to the bundle. */
export const DEFAULT_WASM_URL = new URL('./dist/sbe_decoder.wasm', import.meta.url);

interface DecoderExports {
  memory: WebAssembly.Memory;
  sbe_abi_version(): number;
  sbe_input(): number;
  sbe_frame_offsets(): number;
  sbe_frame_lengths(): number;
  sbe_messages(): number;
  sbe_levels(): number;
  sbe_trades(): number;
  sbe_input_capacity(): number;
  sbe_frame_capacity(): number;
  sbe_level_capacity(): number;
  sbe_trade_capacity(): number;
  sbe_decode_batch(count: number, inputLength: number): number;
}

export class WasmAbiMismatchError extends Error {
  override readonly name = 'WasmAbiMismatchError';
  constructor(what: string, wasm: number, expected: number) {
    super(`The SBE WASM module has ${what} ${wasm} but core/sbe/abi.ts expects ${expected}: rebuild it.`);
  }
}

const modules = new Map<string, WebAssembly.Module>();

function compiledModule(url: URL): WebAssembly.Module {
  let module = modules.get(url.href);
  if (!module) {
    module = new WebAssembly.Module(readFileSync(url));
    modules.set(url.href, module);
  }
  return module;
}

function checkAbi(e: DecoderExports): void {
  const checks: [string, number, number][] = [
    ['ABI version', e.sbe_abi_version(), ABI_VERSION],
    ['input capacity', e.sbe_input_capacity(), INPUT_CAPACITY],
    ['frame capacity', e.sbe_frame_capacity(), FRAME_CAPACITY],
    ['level capacity', e.sbe_level_capacity(), LEVEL_CAPACITY],
    ['trade capacity', e.sbe_trade_capacity(), TRADE_CAPACITY],
  ];
  for (const [what, wasm, expected] of checks) {
    if (wasm !== expected) throw new WasmAbiMismatchError(what, wasm, expected);
  }
}

export class WasmSbeDecoder extends SbeBatchDecoder {
  protected readonly frameOffsets: Uint32Array;
  protected readonly frameLengths: Uint32Array;
  protected readonly packArea: Uint8Array;
  private readonly exports: DecoderExports;
  private readonly batch: { -readonly [K in keyof DecodedBatch]: DecodedBatch[K] };

  constructor(wasmUrl: URL = DEFAULT_WASM_URL) {
    super();
    const instance = new WebAssembly.Instance(compiledModule(wasmUrl), {});
    const e = instance.exports as unknown as DecoderExports;
    checkAbi(e);
    this.exports = e;
    const buffer = e.memory.buffer;
    this.packArea = new Uint8Array(buffer, e.sbe_input(), INPUT_CAPACITY);
    this.frameOffsets = new Uint32Array(buffer, e.sbe_frame_offsets(), FRAME_CAPACITY);
    this.frameLengths = new Uint32Array(buffer, e.sbe_frame_lengths(), FRAME_CAPACITY);
    this.batch = {
      count: 0,
      ok: 0,
      messages: new Float64Array(buffer, e.sbe_messages(), FRAME_CAPACITY * MESSAGE_STRIDE),
      levels: new Float64Array(buffer, e.sbe_levels(), LEVEL_CAPACITY * LEVEL_STRIDE),
      trades: new Float64Array(buffer, e.sbe_trades(), TRADE_CAPACITY * TRADE_STRIDE),
      bytes: this.packArea,
    };
  }

  protected run(bytes: Uint8Array, count: number): DecodedBatch {
    // Frames packed by decodeFrames are already in place; a caller's buffer is copied in once.
    if (bytes !== this.packArea) this.packArea.set(bytes);
    this.batch.ok = this.exports.sbe_decode_batch(count, bytes.length);
    this.batch.count = count;
    this.batch.bytes = bytes;
    return this.batch;
  }
}
