import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PostReadModel } from '../../read-models';

/**
 * Where a subscriber remembers how far into the event store it got: every event at or
 * below the saved position has been dealt with. Losing it is harmless (the subscriber
 * starts from the beginning and finds nothing left to do), so it may lag behind.
 */
export interface SubscriberCheckpoint {
  load(): Promise<bigint | null>;
  save(position: bigint): Promise<void>;
}

/** Kept beside the projections' own checkpoints (SQLite or MongoDB alike). */
export function readModelCheckpoint(model: Pick<PostReadModel, 'checkpoint' | 'save'>, name: string): SubscriberCheckpoint {
  return {
    load: () => model.checkpoint(name),
    save: (position) => model.save([], { projector: name, position }),
  };
}

/** A small file of its own (a process without a read model to keep it in). */
export function fileCheckpoint(path: string): SubscriberCheckpoint {
  return {
    async load() {
      try {
        const text = readFileSync(path, 'utf8').trim();
        return /^\d+$/.test(text) ? BigInt(text) : null;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async save(position) {
      mkdirSync(dirname(path), { recursive: true });
      // Written aside and renamed, so a crash mid-write never leaves a torn number.
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, `${position}\n`);
      renameSync(temporary, path);
    },
  };
}

/** Holds the position in memory only: a restart starts from the beginning. */
export function memoryCheckpoint(): SubscriberCheckpoint & { position: bigint | null } {
  const checkpoint = {
    position: null as bigint | null,
    async load() {
      return checkpoint.position;
    },
    async save(position: bigint) {
      checkpoint.position = position;
    },
  };
  return checkpoint;
}
