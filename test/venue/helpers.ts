/** Shared helpers for the venue tests: a real WebSocket client, WASM decoding, the data folder. */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { SbeMessage } from '../../core/sbe/messages.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The real recordings live next to the repository (../shared/data). */
export const DATA_DIR = resolve(repoRoot, '../shared/data');
export const dataAvailable = existsSync(DATA_DIR);

export const API_KEY = 'test-ed25519-key';

export interface Client {
  ws: WebSocket;
  binary: Buffer[];
  texts: unknown[];
  pings: number;
  closed: Promise<{ code: number; reason: string }>;
  send(body: unknown): void;
  /** The next text frame (JSON) received after now. */
  nextText(): Promise<unknown>;
}

/** `key: null` connects without the X-MBX-APIKEY header. */
export function connect(url: string, key: string | null = API_KEY): Promise<Client> {
  return new Promise((resolveClient, reject) => {
    const ws = new WebSocket(url, key === null ? {} : { headers: { 'X-MBX-APIKEY': key } });
    const waiters: ((v: unknown) => void)[] = [];
    const client: Client = {
      ws,
      binary: [],
      texts: [],
      pings: 0,
      closed: new Promise((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() }))),
      send: (body) => ws.send(JSON.stringify(body)),
      nextText: () => new Promise((r) => waiters.push(r)),
    };
    ws.on('message', (data, isBinary) => {
      if (isBinary) client.binary.push(data as Buffer);
      else {
        const json: unknown = JSON.parse(data.toString());
        client.texts.push(json);
        waiters.shift()?.(json);
      }
    });
    ws.on('ping', () => client.pings++);
    ws.once('open', () => resolveClient(client));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

const decoder = new WasmSbeDecoder();

/** Decodes one frame with the WASM decoder; undefined when the decoder rejects it. */
export function decode(frame: Uint8Array): SbeMessage | undefined {
  try {
    return decoder.decode(frame) ?? undefined;
  } catch {
    return undefined;
  }
}

export async function waitFor(cond: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  headers: Headers;
  body: unknown;
}> {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: await res.json() };
}
