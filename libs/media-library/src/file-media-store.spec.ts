import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileMediaStore } from './file-media-store';
import { describeMediaStoreContract } from './testing/media-store-contract';

describeMediaStoreContract('FileMediaStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'postloom-media-'));
  const store = new FileMediaStore(join(dir, 'media'));
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
