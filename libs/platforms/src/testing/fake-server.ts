import * as http from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * The HTTP plumbing every local stand-in for a platform shares, so each fake holds only
 * what its platform does: its routes, what it refuses and how its errors read.
 */

/**
 * Answers scripted by a test for the next requests that match: a `RegExp` tested on the
 * request's key, or a string equal to it (`"*"` for any). Used up in the order added.
 */
export class ScriptedFailures<F> {
  private readonly queue: Array<{ match: string | RegExp; failure: F; remaining: number }> = [];

  add(match: string | RegExp, failure: F, times = 1): void {
    this.queue.push({ match, failure, remaining: times });
  }

  /** The failure scripted for `key` (a route, path or method name, as the fake scripts them), if any, used once. */
  take(key: string): F | undefined {
    const entry = this.queue.find(({ match }) => (typeof match === 'string' ? match === key || match === '*' : match.test(key)));
    if (!entry) return undefined;
    if (--entry.remaining <= 0) this.queue.splice(this.queue.indexOf(entry), 1);
    return entry.failure;
  }
}

/** A node:http server on a free port of 127.0.0.1 that a fake platform answers from. */
export abstract class LocalPlatformServer {
  private readonly server = http.createServer((req, res) => void this.handle(req, res));

  /** `jsonType`: the `Content-Type` of the platform's JSON answers, spelled as it spells it. */
  protected constructor(private readonly jsonType: string = 'application/json') {}

  protected async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    // Clients keep connections alive; close() alone would wait for them to go idle.
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  protected abstract handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;

  protected async readBody(req: http.IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** `payload` undefined answers no body (a 204, a 308, an upload acknowledged by headers only). */
  protected writeJson(res: http.ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
    if (payload === undefined) res.writeHead(status, headers).end();
    else this.writeJsonText(res, status, JSON.stringify(payload), headers);
  }

  /** JSON already written out, for platforms whose answers `JSON.stringify` cannot produce (raw 64-bit ids). */
  protected writeJsonText(res: http.ServerResponse, status: number, json: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': this.jsonType, ...headers }).end(json);
  }

  /** Cuts the connection without an answer: to the client, an outcome it cannot know. */
  protected hangUp(req: http.IncomingMessage): void {
    req.socket.destroy();
  }

  /** A multipart or urlencoded body as a form; throws when it is not one. */
  protected formOf(body: Buffer, contentType: string): Promise<FormData> {
    return new Request(`${this.url}/`, { method: 'POST', headers: { 'content-type': contentType }, body }).formData();
  }
}
