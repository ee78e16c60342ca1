import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  const minute = Date.parse('2026-03-01T12:00:00.000Z');

  it('allows the limit within a window, then refuses until the next window', () => {
    const limiter = new RateLimiter();
    const decisions = Array.from({ length: 3 }, (_, i) => limiter.consume('key_1', 3, minute + i * 1000));
    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
    ]);
    expect(decisions[0]).toMatchObject({ limit: 3, resetEpochSeconds: minute / 1000 + 60, retryAfterSeconds: 0 });

    const refused = limiter.consume('key_1', 3, minute + 45_500);
    expect(refused).toEqual({ allowed: false, limit: 3, remaining: 0, resetEpochSeconds: minute / 1000 + 60, retryAfterSeconds: 15 });

    const next = limiter.consume('key_1', 3, minute + 60_000);
    expect(next).toMatchObject({ allowed: true, remaining: 2, resetEpochSeconds: minute / 1000 + 120 });
  });

  it('counts each key on its own', () => {
    const limiter = new RateLimiter();
    expect(limiter.consume('key_1', 1, minute).allowed).toBe(true);
    expect(limiter.consume('key_1', 1, minute + 1).allowed).toBe(false);
    expect(limiter.consume('key_2', 1, minute + 2).allowed).toBe(true);
  });

  it('always waits at least a second after a refusal', () => {
    const limiter = new RateLimiter();
    limiter.consume('key_1', 1, minute);
    expect(limiter.consume('key_1', 1, minute + 59_999).retryAfterSeconds).toBe(1);
  });

  it('drops the windows of past minutes', () => {
    const limiter = new RateLimiter();
    for (let i = 0; i < 100; i += 1) limiter.consume(`key_${i}`, 10, minute + i);
    expect(limiter.size).toBe(100);
    limiter.consume('key_0', 10, minute + 60_000);
    expect(limiter.size).toBe(1);
  });
});
