import { POST_EVENT_TYPES, POST_EVENT_VERSION, PostEvent, PostEventType } from './events';

export class UnknownPostEvent extends Error {
  constructor(type: string, version: number) {
    super(`unknown post event ${type} v${version}`);
    this.name = 'UnknownPostEvent';
  }
}

type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/**
 * Upcasters from an older version of an event type to the next one, keyed
 * `Type@version`. Every type is still at v1, so the table is empty; a v2 adds its
 * `Type@1` entry here and old streams keep their meaning.
 */
const UPCASTERS: Record<string, Upcaster> = {};

/** Brings a stored event to the current version of its type; refuses types and versions it does not know. */
export function upcastPostEvent(type: string, version: number, data: Record<string, unknown>): PostEvent {
  if (!(POST_EVENT_TYPES as readonly string[]).includes(type)) throw new UnknownPostEvent(type, version);
  const current = POST_EVENT_VERSION[type as PostEventType];
  let v = version;
  let d = data;
  while (v < current) {
    const up = UPCASTERS[`${type}@${v}`];
    if (!up) throw new UnknownPostEvent(type, version);
    d = up(d);
    v++;
  }
  if (v !== current) throw new UnknownPostEvent(type, version);
  return { type, version: v, data: d } as PostEvent;
}
