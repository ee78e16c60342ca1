/**
 * Instants are stored in UTC. A wall-clock `scheduled_for` (no offset) is read in the
 * post's IANA time zone with the Intl database, never the server's `TZ`.
 */

const OFFSET_SUFFIX = /(Z|[+-]\d{2}:?\d{2})$/i;
const ISO_LIKE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

// Building a formatter is the only check ICU offers and costs as much as the rest of a
// create; valid zones are few (the IANA names), so they are remembered. Invalid ones are
// not: a client could send endless different ones.
const knownZones = new Set<string>();

export function isValidTimeZone(zone: string): boolean {
  if (typeof zone !== 'string' || zone.length === 0) return false;
  if (knownZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    if (knownZones.size < 4096) knownZones.add(zone);
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Offset of `zone` from UTC at instant `epochMs`, in milliseconds. */
function zoneOffsetMs(epochMs: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(zone).formatToParts(new Date(epochMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/**
 * Parses an ISO 8601 date-time. With an offset (`Z`, `+02:00`) it is an instant; without
 * one it is a wall-clock time in `zone`. Returns the UTC instant as `...Z`, or null when
 * the text is not a valid date-time. A wall-clock time skipped by a DST jump resolves to
 * the instant just after the gap; an ambiguous one to its first occurrence.
 */
export function parseInstant(text: string, zone = 'UTC'): string | null {
  if (typeof text !== 'string') return null;
  const m = ISO_LIKE.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '0', frac = '0'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const ms = Math.round(Number(`0.${frac}`) * 1000);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(wall);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return null;

  const suffix = OFFSET_SUFFIX.exec(text.trim());
  if (suffix && m[8]) {
    const parsed = Date.parse(text.trim().replace(' ', 'T'));
    return Number.isNaN(parsed) ? null : new Date(parsed).toISOString();
  }
  if (!isValidTimeZone(zone)) return null;
  let guess = wall - zoneOffsetMs(wall, zone);
  const offsetAtGuess = zoneOffsetMs(guess, zone);
  const second_guess = wall - offsetAtGuess;
  if (second_guess !== guess) {
    // DST edge: prefer the candidate whose local time reads back as the wall time.
    guess = zoneOffsetMs(second_guess, zone) === offsetAtGuess ? second_guess : Math.max(guess, second_guess);
  }
  return new Date(guess).toISOString();
}

export const DAY_MS = 24 * 60 * 60 * 1000;
