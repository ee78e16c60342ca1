import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Postloom-Signature';

/**
 * `Postloom-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the webhook secret>`.
 *
 * How a receiver verifies a delivery:
 * 1. Read the raw request body as bytes/text, before any JSON parsing (re-serialising changes it).
 * 2. Split the header on `,`, take `t` and every `v1` (more than one may come while a secret rotates).
 * 3. Compute HMAC-SHA256 over `${t}.${rawBody}` with the secret (`whsec_...`, used as is, UTF-8),
 *    hex-encode it and compare with each `v1` in constant time (`crypto.timingSafeEqual`).
 * 4. Refuse a `t` more than a few minutes from the receiver's clock (replayed deliveries).
 * The `id` in the body is the same on every retry of one event: use it to drop duplicates.
 */
export function signPayload(secret: string, body: string, timestampSeconds: number): string {
  const t = Math.floor(timestampSeconds);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex');
  return `t=${t},v1=${v1}`;
}

/** The receiver's side of `signPayload`, for tests and for clients written in TypeScript. */
export function verifySignature(secret: string, body: string, header: string, options: { nowSeconds?: number; toleranceSeconds?: number } = {}): boolean {
  const parts = header.split(',').map((p) => p.trim());
  const t = Number(parts.find((p) => p.startsWith('t='))?.slice(2));
  const signatures = parts.filter((p) => p.startsWith('v1=')).map((p) => p.slice(3));
  if (!Number.isInteger(t) || signatures.length === 0) return false;
  const tolerance = options.toleranceSeconds ?? 300;
  const now = options.nowSeconds ?? Date.now() / 1000;
  if (Math.abs(now - t) > tolerance) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex'), 'utf8');
  return signatures.some((s) => {
    const given = Buffer.from(s, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
