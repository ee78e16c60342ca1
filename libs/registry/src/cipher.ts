import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CredentialDecryptError, EncryptionKeyError } from './errors';

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/_-]+={0,2}$/;
export const ENCRYPTION_KEY_FILE = 'encryption.key';

/**
 * Seals credentials and webhook secrets at rest with AES-256-GCM. Each message gets a
 * fresh random 12-byte IV, and the tag makes any change to the stored text detectable.
 * Sealed format: `v1:<iv b64>:<tag b64>:<ciphertext b64>`. An optional context string
 * (e.g. the account id) is bound as associated data, so a sealed value copied onto
 * another record does not open there.
 */
export class CredentialCipher {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new EncryptionKeyError(`encryption key must be ${KEY_BYTES} bytes, got ${key.length}`);
    this.key = Buffer.from(key);
  }

  /**
   * The key from `POSTLOOM_ENCRYPTION_KEY` (32 bytes as base64, or 64 hex characters).
   * When unset, the key in `${dataDir}/encryption.key`, generated there (mode 0600) on
   * first use; losing that file makes stored credentials unreadable.
   */
  static fromEnvironment(dataDir: string, env: NodeJS.ProcessEnv = process.env): CredentialCipher {
    const configured = env.POSTLOOM_ENCRYPTION_KEY;
    if (configured !== undefined && configured.trim() !== '') {
      return new CredentialCipher(parseKey(configured.trim(), 'POSTLOOM_ENCRYPTION_KEY'));
    }
    return new CredentialCipher(keyFromFile(join(dataDir, ENCRYPTION_KEY_FILE), dataDir));
  }

  /** A new random key as base64, e.g. to put in POSTLOOM_ENCRYPTION_KEY. */
  static generateKey(): string {
    return randomBytes(KEY_BYTES).toString('base64');
  }

  encrypt(plain: object, context?: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    if (context !== undefined) cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ciphertext.toString('base64')].join(':');
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  decrypt(sealed: string, context?: string): any {
    const parts = typeof sealed === 'string' ? sealed.split(':') : [];
    if (parts.length !== 4 || parts[0] !== VERSION) throw new CredentialDecryptError('not a v1 sealed value');
    const [, ivText, tagText, dataText] = parts;
    const iv = Buffer.from(ivText, 'base64');
    const tag = Buffer.from(tagText, 'base64');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new CredentialDecryptError('malformed IV or tag');
    let plain: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      if (context !== undefined) decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      plain = Buffer.concat([decipher.update(Buffer.from(dataText, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new CredentialDecryptError('wrong key, or the value was altered');
    }
    return JSON.parse(plain);
  }
}

function parseKey(text: string, source: string): Buffer {
  if (HEX_KEY.test(text)) return Buffer.from(text, 'hex');
  if (BASE64_KEY.test(text)) {
    const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === KEY_BYTES) return bytes;
    throw new EncryptionKeyError(
      `${source} decodes to ${bytes.length} bytes; it must be 32 bytes as base64 (44 characters) or 64 hex characters ` +
        `(generate one with: openssl rand -base64 32)`,
    );
  }
  throw new EncryptionKeyError(
    `${source} is neither base64 nor hex; it must be 32 bytes as base64 (44 characters) or 64 hex characters ` +
      `(generate one with: openssl rand -base64 32)`,
  );
}

function keyFromFile(path: string, dataDir: string): Buffer {
  mkdirSync(dataDir, { recursive: true });
  if (!existsSync(path)) {
    // Written aside then hard-linked into place: link() refuses an existing name, so two
    // processes starting together agree on one key, and none can read a half-written file.
    const pending = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(pending, `${CredentialCipher.generateKey()}\n`, { flag: 'wx', mode: 0o600 });
    try {
      linkSync(pending, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(pending);
    }
  }
  const text = readFileSync(path, 'utf8').trim();
  if (text === '') {
    throw new EncryptionKeyError(`${path} is empty; restore the key file (or set POSTLOOM_ENCRYPTION_KEY)`);
  }
  return parseKey(text, path);
}
