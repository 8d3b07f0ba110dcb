/**
 * Server-sent events to every attached client: the inference service's prediction stream and the
 * local dashboard. `close()` ends the clients, so the HTTP server can then close (an open event
 * stream would otherwise keep it alive).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export class SseChannel {
  private readonly clients = new Set<ServerResponse>();

  get size(): number {
    return this.clients.size;
  }

  attach(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    response.write(': connected\n\n');
    this.clients.add(response);
    request.on('close', () => this.clients.delete(response));
  }

  /** One event, JSON, to every client. */
  send(data: unknown): void {
    if (this.clients.size === 0) return;
    const line = `data: ${JSON.stringify(data)}\n\n`;
    for (const c of this.clients) c.write(line);
  }

  close(): void {
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}
