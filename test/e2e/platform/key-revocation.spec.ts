import { startTestApp, type TestApp } from '../../support/app';
import { TsChild } from '../publishing/support/child-process';

/** A revoked key must stop working everywhere that shares the registry, within the stated bound (1 s). */
describe('key revocation', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  const status = async (key: string) => (await app.request('GET', '/v1/posts', { key })).status;

  /** Asks until the answer is 401; the bound is 1 s, the wait allows 3 s for a loaded machine. */
  const until401 = async (key: string): Promise<number> => {
    const started = Date.now();
    while ((await status(key)) !== 401) {
      if (Date.now() - started > 3_000) throw new Error('the revoked key still works after 3 s');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return Date.now() - started;
  };

  it('in the process that revoked it: at once', async () => {
    const key = await app.createKey('revoked here');
    expect(await status(key)).toBe(200);
    const [{ id }] = await app.runtime.workspaces.listKeys((await app.runtime.workspaces.authenticate(key))!.workspace_id);
    await app.runtime.workspaces.revokeKey(id);
    expect(await status(key)).toBe(401);
  });

  it('revoked by the CLI, another process on the same data dir: within the bound', async () => {
    const key = await app.createKey('revoked by the cli');
    expect(await status(key)).toBe(200); // now trusted by the server's cache
    const { key_id } = (await app.runtime.workspaces.authenticate(key))!;
    const revoke = TsChild.start('apps/cli/main.ts', { DATA_DIR: app.dataDir }, ['key:revoke', key_id]);
    const { code } = await revoke.exited;
    expect(code).toBe(0);
    await until401(key);
  });
});
