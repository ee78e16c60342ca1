import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteRegistry, Workspaces } from '../../libs/registry';
import { runCli } from './main';

describe('key-management CLI', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'cli-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: { DATA_DIR: join(dataDir, 'data') },
    });
    return { code, stdout, stderr };
  }

  it('creates a workspace and a key that then authenticates', async () => {
    const created = await cli('workspace:create', 'Acme Inc');
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const workspaceId = /(ws_[0-9A-Za-z]+)/.exec(created.stdout)?.[1] as string;
    expect(workspaceId).toBeDefined();

    const listed = await cli('workspace:list');
    expect(listed.stdout).toContain(workspaceId);
    expect(listed.stdout).toContain('Acme Inc');

    const key = await cli('key:create', workspaceId, '--name', 'ci', '--tier', 'starter');
    expect(key.code).toBe(0);
    expect(key.stdout).toMatch(/not shown again/i);
    const rawKey = /(pl_live_[0-9A-Za-z]+)/.exec(key.stdout)?.[1] as string;
    const keyId = /(key_[0-9A-Za-z]+)/.exec(key.stdout)?.[1] as string;
    expect(rawKey).toBeDefined();

    const storage = openSqliteRegistry(join(dataDir, 'data', 'registry.sqlite'));
    try {
      expect(await new Workspaces(storage).authenticate(rawKey)).toEqual({ key_id: keyId, workspace_id: workspaceId, rate_limit_per_minute: 300 });
    } finally {
      await storage.close();
    }

    const keys = await cli('key:list', workspaceId);
    expect(keys.code).toBe(0);
    expect(keys.stdout).toContain(keyId);
    expect(keys.stdout).toContain('active');
    expect(keys.stdout).not.toContain(rawKey);

    expect((await cli('key:revoke', keyId)).code).toBe(0);
    expect((await cli('key:list', workspaceId)).stdout).toContain('revoked');
    expect((await cli('key:revoke', keyId)).stdout).toContain('already revoked');
    const reopened = openSqliteRegistry(join(dataDir, 'data', 'registry.sqlite'));
    try {
      expect(await new Workspaces(reopened).authenticate(rawKey)).toBeNull();
    } finally {
      await reopened.close();
    }
  });

  it('prints JSON with --json and takes --rate-limit', async () => {
    const ws = JSON.parse((await cli('workspace:create', 'Acme', '--json')).stdout) as { id: string };
    const key = JSON.parse((await cli('key:create', ws.id, '--rate-limit=42', '--json')).stdout) as { key: string; rate_limit_per_minute: number };
    expect(key.key).toMatch(/^pl_live_/);
    expect(key.rate_limit_per_minute).toBe(42);
    expect(JSON.parse((await cli('key:list', ws.id, '--json')).stdout)).toEqual([expect.not.objectContaining({ key: expect.anything() })]);
  });

  it('answers bad arguments with the usage text and exit code 2', async () => {
    for (const argv of [
      ['nope'],
      ['workspace:create'],
      ['workspace:create', 'a', 'b'],
      ['key:create'],
      ['key:create', 'ws_x', '--tier', 'gold'],
      ['key:create', 'ws_x', '--rate-limit', 'lots'],
      ['key:create', 'ws_x', '--bogus', '1'],
      ['key:create', 'ws_x', '--name'],
      ['key:revoke'],
      ['workspace:list', '--name', 'x'],
    ]) {
      const result = await cli(...argv);
      expect({ argv, code: result.code }).toEqual({ argv, code: 2 });
      expect(result.stderr).toContain('Usage:');
    }
    expect((await cli('workspace:create', 'x'.repeat(101))).code).toBe(2);
  });

  it('fails with exit code 1 on an unknown workspace or key', async () => {
    const missingWorkspace = await cli('key:create', 'ws_missing');
    expect(missingWorkspace.code).toBe(1);
    expect(missingWorkspace.stderr).toContain('ws_missing');
    expect((await cli('key:list', 'ws_missing')).code).toBe(1);
    expect((await cli('key:revoke', 'key_missing')).code).toBe(1);
  });

  it('prints the usage text on help', async () => {
    const help = await cli('help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('key:create <workspace_id>');
  });
});
