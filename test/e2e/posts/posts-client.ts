import { REQUIRED_CREDENTIALS } from '../../../libs/registry';
import type { Platform } from '../../../libs/domain';
import type { TestApp, TestResponse } from '../../support/app';

/**
 * Nothing may leave this machine: every account points at the discard port of
 * 127.0.0.1, so a publisher that runs one day fails fast instead of posting.
 */
export const NOWHERE = 'http://127.0.0.1:9';

export const POST_ID = /^post_[0-9A-Za-z]{16,}$/;
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

/** Connects one account per platform in the key's workspace; returns their ids by platform. */
export async function connectAccounts(app: TestApp, platforms: Platform[], key?: string): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const platform of platforms) {
    const credentials = Object.fromEntries(
      REQUIRED_CREDENTIALS[platform].map((field) => [field, field.endsWith('_url') ? `${NOWHERE}/${field}` : `test-${field}`]),
    );
    const res = await app.request('POST', '/v1/accounts', { key, body: { platform, name: `${platform} test`, credentials, base_url: NOWHERE } });
    if (res.status !== 201) throw new Error(`connecting ${platform}: ${res.status} ${res.text}`);
    ids[platform] = res.body.id;
  }
  return ids;
}

export async function createPost(app: TestApp, body: object, key?: string): Promise<any> {
  const res = await app.request('POST', '/v1/posts', { body, key });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${res.text}`);
  return res.body;
}

/** The error body's shape for every refusal: a code, a message, details naming fields, the request id. */
export function expectError(res: TestResponse, status: number, code: string, fields: string[] = []): void {
  if (res.status !== status) throw new Error(`expected ${status} ${code}, got ${res.status} ${res.text}`);
  expect(res.body.error.code).toBe(code);
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.request_id).toBe(res.headers['x-request-id']);
  const named = (res.body.error.details ?? []).map((d: { field: string }) => d.field);
  for (const field of fields) expect(named).toContain(field);
}

/** An instant `days` from now, ISO UTC. */
export function daysFromNow(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString();
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
