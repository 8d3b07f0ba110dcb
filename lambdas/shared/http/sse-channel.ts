/**
 * Server-sent events to every attached client: the inference service's prediction stream and the
 * local dashboard. `close()` ends the clients, so the HTTP server can then close (an open event
 * stream would otherwise keep it alive). At most `maxClients` streams are open at once: each holds
 * a socket and its buffers, so an unbounded number is a memory leak any client can trigger.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export class SseChannel {
  private readonly clients = new Set<ServerResponse>();
  /** Streams refused because maxClients were open. */
  refused = 0;

  constructor(readonly maxClients = 100) {}

  get size(): number {
    return this.clients.size;
  }

  /** False (and 503 answered) when maxClients streams are already open. */
  attach(request: IncomingMessage, response: ServerResponse): boolean {
    if (this.clients.size >= this.maxClients) {
      this.refused++;
      response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '10' });
      response.end(JSON.stringify({ error: `Too many event streams open (limit ${this.maxClients}).` }));
      return false;
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    response.write(': connected\n\n');
    this.clients.add(response);
    request.on('close', () => this.clients.delete(response));
    return true;
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
