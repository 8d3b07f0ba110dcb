/**
 * Raw HTTP/1.1 over a TCP socket, for request targets that `fetch` and `http.request` normalise
 * away (`GET //`, malformed escapes in an upgrade): what a hostile client can really send.
 */
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: string;
  body: string;
}

export function rawRequest(port: number, head: string, host = '127.0.0.1'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () =>
      socket.write(`${head}\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
    );
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      text += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const at = text.indexOf('\r\n\r\n');
      const headers = at < 0 ? text : text.slice(0, at);
      const raw = at < 0 ? '' : text.slice(at + 4);
      const body = /transfer-encoding: chunked/i.test(headers) ? unchunk(raw) : raw;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? 0);
      resolve({ status, headers, body });
    });
  });
}

function unchunk(raw: string): string {
  let out = '';
  let rest = raw;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, eol), 16);
    if (eol < 0 || !(size > 0)) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}
