import { isValidTimeZone, parseInstant } from './time';

describe('parseInstant', () => {
  it('keeps instants with an offset', () => {
    expect(parseInstant('2026-04-10T09:00:00Z')).toBe('2026-04-10T09:00:00.000Z');
    expect(parseInstant('2026-04-10T11:00:00+02:00', 'America/New_York')).toBe('2026-04-10T09:00:00.000Z');
  });

  it('reads wall-clock times in the post time zone, DST included', () => {
    expect(parseInstant('2026-01-15T09:00:00', 'America/New_York')).toBe('2026-01-15T14:00:00.000Z');
    expect(parseInstant('2026-07-15T09:00:00', 'America/New_York')).toBe('2026-07-15T13:00:00.000Z');
    expect(parseInstant('2026-07-15T09:00', 'Asia/Kolkata')).toBe('2026-07-15T03:30:00.000Z');
    expect(parseInstant('2026-07-15T09:00:00', 'UTC')).toBe('2026-07-15T09:00:00.000Z');
  });

  it('resolves a time skipped by a DST jump to just after the gap', () => {
    // 2026-03-08 02:30 does not exist in New York (clocks jump from 02:00 to 03:00 EST->EDT).
    expect(parseInstant('2026-03-08T02:30:00', 'America/New_York')).toBe('2026-03-08T07:30:00.000Z');
  });

  it('refuses what is not a date-time', () => {
    for (const bad of ['tomorrow', '2026-13-01T00:00:00Z', '2026-02-30T10:00:00Z', '', '2026-04-10', '2026-04-10T25:00:00Z']) {
      expect(parseInstant(bad)).toBeNull();
    }
    expect(parseInstant('2026-04-10T09:00:00', 'Not/AZone')).toBeNull();
  });

  it('knows IANA zones', () => {
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone('Europe/Pariss')).toBe(false);
  });
});
