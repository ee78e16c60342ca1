import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialCipher } from '../cipher';
import { SqliteRegistryStorage } from '../sqlite-registry-storage';

/** A registry in a fresh temp dir, for service tests; `cleanup` closes it and removes the dir. */
export interface TempRegistry {
  dir: string;
  path: string;
  storage: SqliteRegistryStorage;
  cipher: CredentialCipher;
  /** Every byte SQLite has written for the registry: the main file and its WAL. */
  bytesOnDisk(): Buffer;
  cleanup(): Promise<void>;
}

export function openTempRegistry(): TempRegistry {
  const dir = mkdtempSync(join(tmpdir(), 'registry-'));
  const path = join(dir, 'registry.sqlite');
  const storage = new SqliteRegistryStorage(path);
  return {
    dir,
    path,
    storage,
    cipher: new CredentialCipher(randomBytes(32)),
    bytesOnDisk: () => Buffer.concat([path, `${path}-wal`].filter((p) => existsSync(p)).map((p) => readFileSync(p))),
    cleanup: async () => {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
