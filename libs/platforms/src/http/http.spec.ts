import * as http from 'node:http';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { PlatformError } from '../port';
import { cleanPlatformText, httpFailure, platformMessage } from './failure';
import { requestJson } from './request-json';
import { parseRetryAfter } from './retry-after';

const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('parseRetryAfter', () => {
  it('reads Retry-After in seconds or as an HTTP date', () => {
    expect(parseRetryAfter(new Headers({ 'Retry-After': '120' }), NOW)).toBe(120_000);
    expect(parseRetryAfter({ 'retry-after': 'Sun, 01 Mar 2026 12:00:30 GMT' }, NOW)).toBe(30_000);
    expect(parseRetryAfter({ 'Retry-After': ['5'] }, NOW)).toBe(5_000);
  });

  it('never answers a negative wait', () => {
    expect(parseRetryAfter({ 'retry-after': 'Sun, 01 Mar 2026 11:00:00 GMT' }, NOW)).toBe(0);
  });

  it('reads the reset headers it is told about: epoch seconds, delta seconds, ISO time', () => {
    const epoch = String(NOW / 1000 + 90);
    expect(parseRetryAfter({ 'ratelimit-reset': epoch }, NOW)).toBeUndefined();
    expect(parseRetryAfter({ 'ratelimit-reset': epoch }, NOW, { resetHeaders: ['ratelimit-reset'] })).toBe(90_000);
    expect(parseRetryAfter({ 'x-ratelimit-reset': String(NOW / 1000 + 1.5) }, NOW, { resetHeaders: ['x-ratelimit-reset'] })).toBe(1_500);
    expect(parseRetryAfter({ 'ratelimit-reset': '42' }, NOW, { resetHeaders: ['ratelimit-reset'] })).toBe(42_000);
    expect(parseRetryAfter(new Headers({ 'X-RateLimit-Reset': '2026-03-01T12:05:00.000Z' }), NOW, { resetHeaders: ['x-ratelimit-reset'] })).toBe(300_000);
  });

  it('prefers Retry-After and skips unreadable values', () => {
    expect(parseRetryAfter({ 'retry-after': '3', 'x-ratelimit-reset': '2026-03-01T13:00:00Z' }, NOW, { resetHeaders: ['x-ratelimit-reset'] })).toBe(3_000);
    expect(parseRetryAfter({ 'retry-after': 'soon', 'x-ratelimit-reset': '60' }, NOW, { resetHeaders: ['x-ratelimit-reset'] })).toBe(60_000);
    expect(parseRetryAfter({}, NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });
});

describe('platformMessage', () => {
  it.each([
    [{ error: 'Validation failed: Text character limit of 500 exceeded' }, 'Validation failed: Text character limit of 500 exceeded'],
    [{ error: 'invalid_grant', error_description: 'The refresh token expired' }, 'The refresh token expired'],
    [{ message: 'Invalid commentary' }, 'Invalid commentary'],
    [{ title: 'Forbidden', detail: 'You are not permitted to create a Tweet with duplicate content.' }, 'You are not permitted to create a Tweet with duplicate content.'],
    [{ error: { message: 'Invalid OAuth access token.', code: 190 } }, 'Invalid OAuth access token.'],
    [{ errors: [{ message: 'Status is a duplicate.', code: 187 }] }, 'Status is a duplicate.'],
    ['{"error":"Record not found"}', 'Record not found'],
    // A body outside the documented shapes is never passed on: it may come from anything at a base_url.
    ['Service temporarily overloaded', undefined],
    ['<html><body>502</body></html>', undefined],
    [{}, undefined],
    [undefined, undefined],
  ])('finds the reason in %j', (body, expected) => {
    expect(platformMessage(body)).toBe(expected);
  });
});

describe('httpFailure', () => {
  it('401 and a token-related 403 ask to reconnect', () => {
    const unauthorized = httpFailure(401, { error: 'The access token is invalid' }, undefined, 'Mastodon');
    expect(unauthorized.kind).toBe('auth');
    expect(unauthorized.message).toBe("Mastodon refused the account's credentials (The access token is invalid): reconnect your Mastodon account");
    expect(httpFailure(403, { error: 'This action is outside the authorized scopes' }, undefined, 'Mastodon').kind).toBe('auth');
  });

  it('a 403 about the content is the platform refusing the post', () => {
    const duplicate = httpFailure(403, { detail: 'You are not allowed to create a Tweet with duplicate content.' }, undefined, 'X (Twitter)');
    expect(duplicate.kind).toBe('rejected');
    expect(duplicate.message).toBe('X (Twitter) refused the post: You are not allowed to create a Tweet with duplicate content.');
  });

  it('429 is rate_limited with the wait from the headers', () => {
    const limited = httpFailure(429, {}, { 'x-ratelimit-reset': '2026-03-01T12:01:00Z' }, 'Mastodon', { now: NOW, resetHeaders: ['x-ratelimit-reset'] });
    expect(limited.kind).toBe('rate_limited');
    expect(limited.details.retryAfterMs).toBe(60_000);
    expect(limited.retryable).toBe(true);
  });

  it('5xx and 408 are transient, other 4xx rejected with the platform reason and code', () => {
    expect(httpFailure(503, '<html>down</html>', undefined, 'Slack')).toMatchObject({ kind: 'transient', message: 'Slack is unavailable (HTTP 503)' });
    expect(httpFailure(408, undefined, undefined, 'Slack').kind).toBe('transient');
    const refused = httpFailure(422, { error: 'Validation failed: Text can\'t be blank' }, undefined, 'Mastodon');
    expect(refused).toMatchObject({ kind: 'rejected', message: "Mastodon refused the post: Validation failed: Text can't be blank" });
    expect(refused.retryable).toBe(false);
    expect(httpFailure(400, { error: 'InvalidRequest', message: 'Record/text must not be longer than 300 graphemes' }, undefined, 'Bluesky').details).toEqual({ status: 400, platformCode: 'InvalidRequest' });
    expect(httpFailure(404, '', undefined, 'Discord').message).toBe('Discord refused the post (HTTP 404)');
  });
});

describe('requestJson', () => {
  const servers: Array<Server | http.Server> = [];
  const sockets = new Set<Socket>();

  async function listen<T extends Server | http.Server>(server: T): Promise<string> {
    servers.push(server);
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function failure(promise: Promise<unknown>): Promise<PlatformError> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PlatformError);
    return err as PlatformError;
  }

  it('sends JSON and hands back status, headers and the parsed body without throwing on 4xx', async () => {
    let received: unknown;
    const url = await listen(
      http.createServer((req, res) => {
        let body = '';
        req.on('data', (chunk) => (body += chunk));
        req.on('end', () => {
          received = { method: req.method, type: req.headers['content-type'], body: JSON.parse(body) };
          res.writeHead(422, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'r1' }).end('{"error":"nope"}');
        });
      }),
    );
    const response = await requestJson(`${url}/api/v1/statuses`, { method: 'POST', json: { status: 'hi' } });
    expect(received).toEqual({ method: 'POST', type: 'application/json', body: { status: 'hi' } });
    expect(response).toMatchObject({ status: 422, ok: false, body: { error: 'nope' }, text: '{"error":"nope"}' });
    expect(response.headers.get('x-request-id')).toBe('r1');
  });

  it('a refused connection was never sent: transient', async () => {
    const closed = createServer();
    const url = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    servers.length = 0;
    const err = await failure(requestJson(`${url}/x`, { method: 'POST', json: {}, label: 'Mastodon' }));
    expect(err.kind).toBe('transient');
    expect(err.message).toMatch(/^could not reach Mastodon POST http:\/\/127\.0\.0\.1:\d+\/x: .*ECONNREFUSED/);
  });

  it('a connection dropped after the request was sent is an unknown outcome', async () => {
    const url = await listen(createServer((socket) => socket.once('data', () => socket.destroy())));
    const err = await failure(requestJson(`${url}/x`, { method: 'POST', json: { status: 'hi' } }));
    expect(err.kind).toBe('unknown_outcome');
    expect(err.message).toMatch(/outcome of POST http:\/\/127\.0\.0\.1:\d+\/x is unknown/);
  });

  it('a timeout is an unknown outcome', async () => {
    const url = await listen(http.createServer(() => undefined));
    const err = await failure(requestJson(`${url}/slow`, { method: 'POST', timeoutMs: 150 }));
    expect(err.kind).toBe('unknown_outcome');
    expect(err.message).toMatch(/no answer within 150 ms/);
  });

  it('a body cut off after the status line is an unknown outcome', async () => {
    const url = await listen(
      http.createServer((_req, res) => {
        res.writeHead(200, { 'content-length': '100', 'content-type': 'application/json' });
        res.write('{"id":');
        setImmediate(() => res.destroy());
      }),
    );
    expect((await failure(requestJson(`${url}/x`, { method: 'POST' }))).kind).toBe('unknown_outcome');
  });

  it('a request cancelled before it starts is not sent', async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await failure(requestJson('http://127.0.0.1:9/x', { signal: controller.signal }))).kind).toBe('transient');
  });
});

describe('cleanPlatformText (what of a platform error reaches the caller)', () => {
  it('drops markup, redacts token-shaped values and the account secrets, and trims', () => {
    const raw = `<html><b>Refused</b> Authorization: Bearer ya29.a0AfH6SMBxxxxxxxxxxxxxxxx access_token=EAABsbCS1iHgBAxyz&x=1 "client_secret":"s3cr3t-value" db_password=hunter2 account tok_account_secret_1 jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig ${'x'.repeat(1000)}</html>`;
    const text = cleanPlatformText(raw, ['tok_account_secret_1']);
    expect(text.length).toBeLessThanOrEqual(300);
    for (const leaked of ['<b>', 'ya29.a0AfH6SMB', 'EAABsbCS1iHgBAxyz', 's3cr3t-value', 'hunter2', 'tok_account_secret_1', 'eyJhbGciOiJIUzI1NiJ9']) expect(text).not.toContain(leaked);
    expect(text).toMatch(/^Refused Authorization: Bearer \[redacted\] access_token=\[redacted\]/);
  });

  it('passes an ordinary reason through unchanged', () => {
    expect(cleanPlatformText('Validation failed: Text character limit of 500 exceeded')).toBe('Validation failed: Text character limit of 500 exceeded');
  });

  it('an upstream body of another shape never becomes the reason: only documented fields do', () => {
    const error = httpFailure(400, 'INTERNAL-ONLY-DATA: db_password=hunter2', undefined, 'Mastodon');
    expect(error.message).toBe('Mastodon refused the post (HTTP 400)');
    const documented = httpFailure(422, { error: `<p>Text too long</p> token=abcdef123456 ${'y'.repeat(600)}` }, undefined, 'Mastodon');
    expect(documented.message).not.toMatch(/abcdef123456|<p>/);
    expect(documented.message.length).toBeLessThanOrEqual('Mastodon refused the post: '.length + 300);
  });
});
