import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const API_KEY_FILE = 'api-key';

/**
 * The embedded mode's bootstrap key when `POSTLOOM_API_KEY` is unset: generated once
 * into `${dataDir}/api-key` (mode 0600) and read back on every later start, so the key a
 * user was shown keeps working across restarts.
 */
export function embeddedApiKey(dataDir: string): { key: string; generated: boolean } {
  const path = join(dataDir, API_KEY_FILE);
  const existing = readKey(path);
  if (existing) return { key: existing, generated: false };
  mkdirSync(dataDir, { recursive: true });
  const key = `pl_live_${randomBytes(24).toString('base64url')}`;
  try {
    // `wx`: if another process won the race, its key is the one to use.
    writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const raced = readKey(path);
    if (!raced) throw new Error(`${path} exists but holds no key; remove it or set POSTLOOM_API_KEY`);
    return { key: raced, generated: false };
  }
  chmodSync(path, 0o600);
  return { key, generated: true };
}

function readKey(path: string): string | null {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return text.length > 0 ? text : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
