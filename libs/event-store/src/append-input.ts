import type { EventToAppend, ExpectedRevision } from './port';

/**
 * Rejects what neither adapter can store faithfully, before it reaches the
 * store, so both adapters fail the same way on the same input.
 */
export function assertAppendable(stream: string, events: readonly EventToAppend[], expected: ExpectedRevision): void {
  if (typeof stream !== 'string' || stream.length === 0) {
    throw new TypeError('append: stream name must be a non-empty string');
  }
  if (!Array.isArray(events) || events.length === 0) {
    throw new TypeError(`append to ${stream}: at least one event is required`);
  }
  if (typeof expected === 'number') {
    if (!Number.isSafeInteger(expected) || expected < 0) {
      throw new TypeError(`append to ${stream}: expected revision must be a non-negative integer, 'no_stream' or 'any'`);
    }
  } else if (expected !== 'no_stream' && expected !== 'any') {
    throw new TypeError(`append to ${stream}: expected revision must be a non-negative integer, 'no_stream' or 'any'`);
  }
  for (const event of events) {
    if (typeof event.id !== 'string' || event.id.length === 0) {
      throw new TypeError(`append to ${stream}: every event needs an id`);
    }
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new TypeError(`append to ${stream}: every event needs a type`);
    }
    if (!Number.isSafeInteger(event.version) || event.version < 0) {
      throw new TypeError(`append to ${stream}: event ${event.type} needs a non-negative integer version`);
    }
  }
}
