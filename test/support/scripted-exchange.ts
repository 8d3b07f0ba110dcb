/**
 * A minimal WebSocket exchange for ingestor tests that need exact control over what each
 * connection receives and when (the full local venue is exercised in its own tests and end to end):
 * API-key check on upgrade, broadcast to every open connection, disconnects, stalls, serverShutdown.
 */
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

export interface ScriptedExchange {
  url: string;
  /** Open connections, oldest first. */
  connections(): WebSocket[];
  /** Sends the frame to every open connection; returns how many received it. */
  broadcast(frame: Uint8Array): number;
  sendText(socket: WebSocket, text: string): void;
  waitForConnections(n: number, timeoutMs?: number): Promise<WebSocket[]>;
  /** Paths requested on upgrade, e.g. `/stream?streams=btcusdt@trade/…`. */
  readonly requestedPaths: string[];
  close(): Promise<void>;
}

export async function startScriptedExchange(apiKey = 'test-key'): Promise<ScriptedExchange> {
  const requestedPaths: string[] = [];
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    verifyClient: (info, done) => {
      const ok = info.req.headers['x-mbx-apikey'] === apiKey;
      if (ok) requestedPaths.push(info.req.url ?? '');
      done(ok, ok ? undefined : 401, ok ? undefined : 'API key required');
    },
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const open = () => [...server.clients].filter((c) => c.readyState === WebSocket.OPEN);
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requestedPaths,
    connections: open,
    broadcast(frame) {
      const clients = open();
      for (const c of clients) c.send(frame, { binary: true });
      return clients.length;
    },
    sendText(socket, text) {
      socket.send(text);
    },
    async waitForConnections(n, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (open().length < n) {
        if (Date.now() > deadline) throw new Error(`Expected ${n} connections, have ${open().length}.`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return open();
    },
    async close() {
      for (const c of server.clients) c.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
