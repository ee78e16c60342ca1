import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { statusOf } from '../../../libs/domain';
import type { PlatformAccount } from '../../../libs/platforms';
import { FakeTwitter } from '../../../libs/platforms/testing';
import { createPost, openTestRuntime, postContent, requestPublish, stateOf, type TestRuntime, waitFor, waitForStatus } from '../../../libs/publishing/testing';
import { NatsServer, startNatsServer } from '../../support/nats-server';
import { TsChild } from '../publishing/support/child-process';

/**
 * Token refresh across real publisher processes sharing one registry: two publishers
 * over NATS JetStream and one X account whose token is about to expire make exactly one
 * refresh; a publisher killed right after X answered a refresh, before it stored
 * anything, leaves an account that says why it must be reconnected, and nothing loops.
 */

/** Passes requests on to X; the token endpoint's answer is held back, and `onAnswered` told, instead of delivered. */
class TokenAnswerCatcher {
  answered = 0;
  private constructor(
    private readonly server: http.Server,
    private onAnswered: () => void,
  ) {}

  static async start(target: string, onAnswered: () => void): Promise<TokenAnswerCatcher> {
    const server = http.createServer();
    const catcher = new TokenAnswerCatcher(server, onAnswered);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const upstream = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
        if (req.url?.startsWith('/2/oauth2/token')) {
          answer.resume();
          answer.on('end', () => {
            catcher.answered++;
            catcher.onAnswered();
          });
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return catcher;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('token refresh across publisher processes', () => {
  let nats: NatsServer;
  let t: TestRuntime;
  let x: FakeTwitter;
  const cleanups: (() => Promise<unknown>)[] = [];

  const oauthEnv = (tokenUrl: string) => ({
    TWITTER_CLIENT_ID: 'fake-client-id',
    TWITTER_CLIENT_SECRET: 'fake-client-secret',
    TWITTER_TOKEN_URL: tokenUrl,
  });

  const publisherEnv = (extra: Record<string, string>) => ({
    DATA_DIR: t.dataDir,
    NATS_URL: nats.url,
    PLATFORMS: 'twitter',
    NATS_ACK_WAIT_MS: '3000',
    LOG_LEVEL: 'info',
    POSTLOOM_API_KEY: t.config.apiKey ?? '',
    PUBLISH_RETRY_INITIAL_MS: '100',
    PUBLISH_RETRY_MAX_MS: '300',
    TOKEN_REFRESH_LEASE_MS: '2000',
    PLATFORM_ALLOW_PRIVATE_NETWORKS: 'true',
    ...extra,
  });

  const publisher = async (env: Record<string, string>): Promise<TsChild> => {
    const child = TsChild.start('apps/publisher/main.ts', env);
    cleanups.unshift(() => child.stop());
    await child.waitForOutput(/publisher ready/, 20_000);
    return child;
  };

  /** An X account connected over OAuth whose access token ends in `expiresInS`. */
  const connectX = async (expiresInS: number): Promise<PlatformAccount> => {
    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL(`${x.url}/i/oauth2/authorize`);
    authorize.search = new URLSearchParams({ client_id: 'fake-client-id', redirect_uri: 'http://127.0.0.1/cb', state: 's', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' }).toString();
    const code = new URL(x.oauth.authorize(authorize)).searchParams.get('code') as string;
    const basic = `Basic ${Buffer.from('fake-client-id:fake-client-secret').toString('base64')}`;
    const [, tokens] = x.oauth.token(new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1/cb', code_verifier: verifier }), basic) as [number, Record<string, string>];
    const view = await t.runtime.accounts.connect(t.workspaceId, { platform: 'twitter', name: 'Company X', credentials: { access_token: tokens.access_token, refresh_token: tokens.refresh_token }, base_url: x.url });
    const account = (await t.runtime.accounts.credentialsOf(t.workspaceId, view.id)) as PlatformAccount;
    await t.runtime.credentials.recordConnected(t.workspaceId, account, { via: 'oauth', expiresInS, platformUser: { id: x.userId, username: 'fakeposter' }, reconnected: false });
    return account;
  };

  beforeAll(async () => {
    nats = await startNatsServer();
  });

  afterAll(async () => {
    await nats?.stop();
  });

  beforeEach(async () => {
    t = await openTestRuntime({ messaging: false });
    x = await FakeTwitter.start();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
    await x.close();
    await t.remove();
  });

  it('two publishers over NATS sharing one expiring account make exactly one refresh and publish every job', async () => {
    const account = await connectX(60);
    const env = publisherEnv(oauthEnv(`${x.url}/2/oauth2/token`));
    await Promise.all([publisher(env), publisher(env)]);
    const postIds: string[] = [];
    for (let i = 0; i < 12; i++) {
      const postId = await createPost(t, postContent(['twitter'], { content: `post ${i} on a token that is about to end`, accounts: [account.id] }));
      await requestPublish(t, postId);
      postIds.push(postId);
    }
    await waitFor(async () => {
      for (const postId of postIds) if (statusOf(await stateOf(t, postId)) !== 'published') return false;
      return true;
    }, 'every post is published', 30_000, 50);
    expect(x.oauth.refreshes).toBe(1);
    expect(x.requestsTo('POST /2/oauth2/token')).toBe(1);
    expect(x.tweets).toHaveLength(12);
    const state = await t.runtime.credentials.state(t.workspaceId, account.id);
    expect(state).toMatchObject({ status: 'active' });
    expect(Date.parse(state?.expires_at ?? '')).toBeGreaterThan(Date.now() + 60 * 60_000);
  }, 60_000);

  it('a publisher killed right after X answered a refresh leaves an account that says why, and nothing loops', async () => {
    const account = await connectX(60);
    let child: TsChild | null = null;
    const catcher = await TokenAnswerCatcher.start(x.url, () => child?.kill('SIGKILL'));
    cleanups.push(() => catcher.close());
    child = await publisher(publisherEnv(oauthEnv(`${catcher.url}/2/oauth2/token`)));

    const postId = await createPost(t, postContent(['twitter'], { content: 'published across a crash', accounts: [account.id] }));
    await requestPublish(t, postId);
    const exit = await child.exited;
    expect(exit.signal).toBe('SIGKILL');
    // X rotated the refresh token; the publisher died before storing the new one.
    expect(catcher.answered).toBe(1);
    expect(x.oauth.refreshes).toBe(1);
    expect((await t.runtime.accounts.credentialsOf(t.workspaceId, account.id))?.credentials.refresh_token).toBe(account.credentials.refresh_token);

    await publisher(publisherEnv(oauthEnv(`${x.url}/2/oauth2/token`)));
    const state = await waitForStatus(t, postId, ['published', 'failed'], 30_000);
    expect(statusOf(state)).toBe('failed');
    expect(state.progress.twitter?.outcome).toMatchObject({ success: false, code: 'auth', error: expect.stringContaining(account.id) });
    expect(await t.runtime.credentials.state(t.workspaceId, account.id)).toMatchObject({
      status: 'reconnect_required',
      status_reason: expect.stringContaining('Value passed for the token was invalid.'),
    });
    // One refused refresh after the restart, then nothing more: the account waits for a reconnect.
    const tokenCalls = x.requestsTo('POST /2/oauth2/token');
    expect(tokenCalls).toBe(2);
    const again = await createPost(t, postContent(['twitter'], { content: 'while it waits for a reconnect', accounts: [account.id] }));
    await requestPublish(t, again);
    expect(statusOf(await waitForStatus(t, again, ['published', 'failed'], 30_000))).toBe('failed');
    expect(x.requestsTo('POST /2/oauth2/token')).toBe(tokenCalls);
    expect(x.tweets).toHaveLength(0);
  }, 90_000);
});
