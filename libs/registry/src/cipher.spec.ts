import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialCipher } from './cipher';
import { CredentialDecryptError, EncryptionKeyError } from './errors';

describe('CredentialCipher', () => {
  const cipher = new CredentialCipher(randomBytes(32));
  const secret = { access_token: 'tok-Very-Secret-123', extra: 'é✓' };

  it('round-trips a value, with a fresh IV each time', () => {
    const a = cipher.encrypt(secret);
    const b = cipher.encrypt(secret);
    expect(a).not.toEqual(b);
    expect(cipher.decrypt(a)).toEqual(secret);
    expect(cipher.decrypt(b)).toEqual(secret);
  });

  it('seals as v1:<iv>:<tag>:<ciphertext>, nothing in clear', () => {
    const sealed = cipher.encrypt(secret);
    const [version, iv, tag, data, ...rest] = sealed.split(':');
    expect(version).toBe('v1');
    expect(Buffer.from(iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(tag, 'base64')).toHaveLength(16);
    expect(Buffer.from(data, 'base64').length).toBeGreaterThan(0);
    expect(rest).toEqual([]);
    expect(sealed).not.toContain('tok-Very-Secret-123');
    expect(Buffer.from(data, 'base64').toString('utf8')).not.toContain('tok-Very-Secret-123');
  });

  it('refuses a tampered ciphertext, tag or IV', () => {
    const [version, iv, tag, data] = cipher.encrypt(secret).split(':');
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0] ^= 0x01;
      return bytes.toString('base64');
    };
    for (const sealed of [
      [version, iv, tag, flip(data)],
      [version, iv, flip(tag), data],
      [version, flip(iv), tag, data],
    ].map((parts) => parts.join(':'))) {
      expect(() => cipher.decrypt(sealed)).toThrow(CredentialDecryptError);
    }
    expect(() => cipher.decrypt('v2:a:b:c')).toThrow(CredentialDecryptError);
    expect(() => cipher.decrypt('not sealed')).toThrow(CredentialDecryptError);
  });

  it('refuses another key, and a value sealed for another context', () => {
    const sealed = cipher.encrypt(secret, 'account:ws_1:acc_1');
    expect(cipher.decrypt(sealed, 'account:ws_1:acc_1')).toEqual(secret);
    expect(() => cipher.decrypt(sealed, 'account:ws_2:acc_1')).toThrow(CredentialDecryptError);
    expect(() => new CredentialCipher(randomBytes(32)).decrypt(sealed, 'account:ws_1:acc_1')).toThrow(CredentialDecryptError);
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => new CredentialCipher(randomBytes(16))).toThrow(EncryptionKeyError);
  });

  describe('fromEnvironment', () => {
    let dir: string;

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'cipher-'));
    });

    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('takes POSTLOOM_ENCRYPTION_KEY as base64 or hex', () => {
      const key = randomBytes(32);
      const fromBase64 = CredentialCipher.fromEnvironment(dir, { POSTLOOM_ENCRYPTION_KEY: key.toString('base64') });
      const fromHex = CredentialCipher.fromEnvironment(dir, { POSTLOOM_ENCRYPTION_KEY: key.toString('hex') });
      expect(fromHex.decrypt(fromBase64.encrypt(secret))).toEqual(secret);
      expect(() => statSync(join(dir, 'encryption.key'))).toThrow();
    });

    it('explains a bad POSTLOOM_ENCRYPTION_KEY', () => {
      expect(() => CredentialCipher.fromEnvironment(dir, { POSTLOOM_ENCRYPTION_KEY: 'short' })).toThrow(/32 bytes as base64.*64 hex/);
      expect(() => CredentialCipher.fromEnvironment(dir, { POSTLOOM_ENCRYPTION_KEY: 'not base64 at all!' })).toThrow(EncryptionKeyError);
      expect(() => CredentialCipher.fromEnvironment(dir, { POSTLOOM_ENCRYPTION_KEY: randomBytes(31).toString('hex') })).toThrow(EncryptionKeyError);
    });

    it('without the variable, generates a 0600 key file once and reuses it', () => {
      const dataDir = join(dir, 'data');
      const first = CredentialCipher.fromEnvironment(dataDir, {});
      const file = join(dataDir, 'encryption.key');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
      const second = CredentialCipher.fromEnvironment(dataDir, {});
      expect(second.decrypt(first.encrypt(secret))).toEqual(secret);
    });

    it('refuses an empty key file rather than replacing it', () => {
      writeFileSync(join(dir, 'encryption.key'), '', { mode: 0o600 });
      expect(() => CredentialCipher.fromEnvironment(dir, {})).toThrow(/empty/);
    });
  });
});
