import Database from 'better-sqlite3';
import { Accounts, REQUIRED_CREDENTIALS } from './accounts';
import { CredentialDecryptError, RegistryInvalid } from './errors';
import { openTempRegistry, type TempRegistry } from './testing/temp-registry';

describe('Accounts', () => {
  let registry: TempRegistry;
  let accounts: Accounts;
  let clock: number;

  beforeEach(() => {
    registry = openTempRegistry();
    clock = Date.parse('2026-03-01T00:00:00.000Z');
    // Each account one second after the previous one, so "oldest" is unambiguous.
    accounts = new Accounts(registry.storage, registry.cipher, { now: () => (clock += 1000) });
  });

  afterEach(async () => {
    await registry.cleanup();
  });

  const bluesky = (name = 'main', app_password = 'app-pass-SECRET-7f3a') => ({
    platform: 'bluesky' as const,
    name,
    credentials: { identifier: 'me.bsky.social', app_password },
  });

  async function invalidFields(promise: Promise<unknown>): Promise<string[]> {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RegistryInvalid);
    return (error as RegistryInvalid).details.map((d) => d.field);
  }

  it('connects an account and shows it without credentials', async () => {
    const view = await accounts.connect('ws_1', { ...bluesky(), base_url: 'http://127.0.0.1:2583/' });
    expect(view).toEqual({ id: expect.stringMatching(/^acc_[0-9A-Za-z]{16,}$/), platform: 'bluesky', name: 'main', base_url: 'http://127.0.0.1:2583', created_at: expect.any(String) });
    expect(JSON.stringify(await accounts.list('ws_1'))).not.toContain('app-pass-SECRET-7f3a');
    expect(await accounts.get('ws_1', view.id)).toEqual(view);
  });

  it('stores credentials sealed: the token is nowhere in the file, and decrypts back for publishers', async () => {
    const view = await accounts.connect('ws_1', bluesky('main-account-name'));
    const bytes = registry.bytesOnDisk();
    // The account name is stored in clear: proves the bytes read are the ones written.
    expect(bytes.includes(Buffer.from('main-account-name'))).toBe(true);
    expect(bytes.includes(Buffer.from('app-pass-SECRET-7f3a'))).toBe(false);

    const db = new Database(registry.path, { readonly: true });
    const row = db.prepare('SELECT * FROM accounts WHERE id = ?').get(view.id) as { sealed_credentials: string };
    db.close();
    expect(row.sealed_credentials).toMatch(/^v1:[^:]+:[^:]+:[^:]+$/);
    expect(JSON.stringify(row)).not.toContain('app-pass-SECRET-7f3a');

    expect(await accounts.credentialsOf('ws_1', view.id)).toEqual({
      id: view.id,
      platform: 'bluesky',
      name: 'main-account-name',
      credentials: { identifier: 'me.bsky.social', app_password: 'app-pass-SECRET-7f3a' },
    });
  });

  it('refuses credentials altered at rest or copied from another account', async () => {
    const a = await accounts.connect('ws_1', bluesky('a', 'secret-a'));
    const b = await accounts.connect('ws_1', bluesky('b', 'secret-b'));
    const db = new Database(registry.path);
    const sealedA = (db.prepare('SELECT sealed_credentials FROM accounts WHERE id = ?').get(a.id) as { sealed_credentials: string }).sealed_credentials;
    db.prepare('UPDATE accounts SET sealed_credentials = ? WHERE id = ?').run(sealedA, b.id);
    const [v, iv, tag, data] = sealedA.split(':');
    const altered = Buffer.from(data, 'base64');
    altered[altered.length - 1] ^= 0xff;
    db.prepare('UPDATE accounts SET sealed_credentials = ? WHERE id = ?').run([v, iv, tag, altered.toString('base64')].join(':'), a.id);
    db.close();
    await expect(accounts.credentialsOf('ws_1', a.id)).rejects.toThrow(CredentialDecryptError);
    await expect(accounts.credentialsOf('ws_1', b.id)).rejects.toThrow(CredentialDecryptError);
  });

  it('names each missing credential field', async () => {
    expect(await invalidFields(accounts.connect('ws_1', { platform: 'bluesky', name: 'x', credentials: { identifier: 'me' } }))).toEqual([
      'credentials.app_password',
    ]);
    expect(await invalidFields(accounts.connect('ws_1', { platform: 'slack', name: 'x', credentials: { bot_token: '  ' } }))).toEqual([
      'credentials.bot_token',
      'credentials.channel',
    ]);
    for (const [platform, fields] of Object.entries(REQUIRED_CREDENTIALS)) {
      const missing = await invalidFields(
        accounts.connect('ws_1', { platform: platform as never, name: 'x', credentials: {}, base_url: 'https://host.example' }),
      );
      expect(missing).toEqual(fields.map((f) => `credentials.${f}`));
    }
  });

  it('takes a Discord bot (bot_token and channel_id) instead of a webhook, but not half of one', async () => {
    const bot = await accounts.connect('ws_1', { platform: 'discord', name: 'bot', credentials: { bot_token: 'Bot.x', channel_id: '123' } });
    expect(bot).toMatchObject({ platform: 'discord', name: 'bot' });
    const half = accounts.connect('ws_1', { platform: 'discord', name: 'half', credentials: { bot_token: 'Bot.x' } });
    expect(await invalidFields(half)).toEqual(['credentials.webhook_url']);
    await expect(half).rejects.toMatchObject({ details: [{ message: 'is required for discord (or bot_token and channel_id)' }] });
  });

  it('checks platform, name, base_url and credential values', async () => {
    expect(await invalidFields(accounts.connect('ws_1', { ...bluesky(), platform: 'myspace' as never }))).toEqual(['platform']);
    expect(await invalidFields(accounts.connect('ws_1', bluesky('')))).toEqual(['name']);
    expect(await invalidFields(accounts.connect('ws_1', bluesky('x'.repeat(101))))).toEqual(['name']);
    expect(await invalidFields(accounts.connect('ws_1', { ...bluesky(), base_url: 'ftp://host.example' }))).toEqual(['base_url']);
    expect(await invalidFields(accounts.connect('ws_1', { ...bluesky(), base_url: 'not a url' }))).toEqual(['base_url']);
    expect(await invalidFields(accounts.connect('ws_1', { platform: 'mastodon', name: 'm', credentials: { access_token: 't' } }))).toEqual(['base_url']);
    expect(
      await invalidFields(accounts.connect('ws_1', { platform: 'discord', name: 'd', credentials: { webhook_url: 'javascript:alert(1)' } })),
    ).toEqual(['credentials.webhook_url']);
    expect(
      await invalidFields(accounts.connect('ws_1', { ...bluesky(), credentials: { identifier: 'me', app_password: 'p', extra: 5 as never } })),
    ).toEqual(['credentials.extra']);
    expect(await invalidFields(accounts.connect('ws_1', { ...bluesky(), credentials: null as never }))).toEqual(['credentials']);
    const mastodon = await accounts.connect('ws_1', { platform: 'mastodon', name: 'm', credentials: { access_token: 't' }, base_url: 'https://mastodon.example/' });
    expect(mastodon.base_url).toBe('https://mastodon.example');
  });

  it("keeps each workspace's accounts to itself", async () => {
    const mine = await accounts.connect('ws_1', bluesky());
    expect(await accounts.get('ws_2', mine.id)).toBeNull();
    expect(await accounts.list('ws_2')).toEqual([]);
    expect(await accounts.credentialsOf('ws_2', mine.id)).toBeNull();
    expect(await accounts.remove('ws_2', mine.id)).toBe(false);
    expect(await accounts.get('ws_1', mine.id)).not.toBeNull();
    expect(await accounts.remove('ws_1', mine.id)).toBe(true);
    expect(await accounts.get('ws_1', mine.id)).toBeNull();
    expect(await accounts.remove('ws_1', mine.id)).toBe(false);
  });

  describe('resolveTargets', () => {
    it("takes the workspace's oldest account of each platform, else none", async () => {
      const oldest = await accounts.connect('ws_1', bluesky('first'));
      await accounts.connect('ws_1', bluesky('second'));
      await accounts.connect('ws_2', { platform: 'twitter', name: 'elsewhere', credentials: { access_token: 't' } });
      expect(await accounts.resolveTargets('ws_1', ['bluesky', 'twitter'], null)).toEqual([
        { platform: 'bluesky', account_id: oldest.id },
        { platform: 'twitter', account_id: null },
      ]);
      expect(await accounts.resolveTargets('ws_1', ['bluesky'], [])).toEqual([{ platform: 'bluesky', account_id: oldest.id }]);
    });

    it('takes the named account of a platform over the oldest one', async () => {
      await accounts.connect('ws_1', bluesky('first'));
      const second = await accounts.connect('ws_1', bluesky('second'));
      const telegram = await accounts.connect('ws_1', { platform: 'telegram', name: 't', credentials: { bot_token: 'b', chat_id: '1' } });
      expect(await accounts.resolveTargets('ws_1', ['telegram', 'bluesky'], [second.id])).toEqual([
        { platform: 'telegram', account_id: telegram.id },
        { platform: 'bluesky', account_id: second.id },
      ]);
    });

    it('refuses named accounts that are unknown, of another workspace, off the post, or two for one platform', async () => {
      const first = await accounts.connect('ws_1', bluesky('first'));
      const second = await accounts.connect('ws_1', bluesky('second'));
      const slack = await accounts.connect('ws_1', { platform: 'slack', name: 's', credentials: { bot_token: 'b', channel: 'C1' } });
      const foreign = await accounts.connect('ws_2', bluesky('foreign'));
      expect(await invalidFields(accounts.resolveTargets('ws_1', ['bluesky'], ['acc_nope']))).toEqual(['accounts[0]']);
      expect(await invalidFields(accounts.resolveTargets('ws_1', ['bluesky'], [first.id, foreign.id]))).toEqual(['accounts[1]']);
      expect(await invalidFields(accounts.resolveTargets('ws_1', ['bluesky'], [slack.id]))).toEqual(['accounts[0]']);
      expect(await invalidFields(accounts.resolveTargets('ws_1', ['bluesky'], [first.id, second.id]))).toEqual(['accounts[1]']);
      expect(await accounts.resolveTargets('ws_1', ['bluesky'], [first.id, first.id])).toEqual([{ platform: 'bluesky', account_id: first.id }]);
    });
  });
});
