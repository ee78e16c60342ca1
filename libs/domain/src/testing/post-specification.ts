/// <reference types="jest" />
import { decide } from '../post/decide';
import type { PostCommand } from '../post/commands';
import type { PostEvent, RecordedPostEvent } from '../post/events';
import { initialPostState, PostState, evolve } from '../post/state';

/**
 * Given events / when command / then events, for the Post decider. Given events
 * carry their own `occurred_at` (default: a fixed instant) so evolve sees real time.
 */
export type GivenEvent = PostEvent & { at?: string };

const DEFAULT_AT = '2026-01-01T00:00:00.000Z';

export function stateFrom(given: GivenEvent[]): PostState {
  return given.reduce<PostState>((state, e) => {
    const { at, ...event } = e;
    return evolve(state, { ...(event as PostEvent), metadata: { occurred_at: at ?? DEFAULT_AT, actor: 'test' } } as RecordedPostEvent);
  }, initialPostState());
}

export function givenPost(...given: GivenEvent[]) {
  return {
    when(command: PostCommand) {
      const run = () => decide(stateFrom(given), command);
      return {
        then(expected: PostEvent[]) {
          expect(run()).toEqual(expected);
        },
        thenNothing() {
          expect(run()).toEqual([]);
        },
        thenThrows(errorType: new (...args: never[]) => Error, message?: string | RegExp) {
          let thrown: unknown;
          try {
            run();
          } catch (e) {
            thrown = e;
          }
          expect(thrown).toBeInstanceOf(errorType);
          if (message) expect((thrown as Error).message).toMatch(message);
          return thrown as Error;
        },
      };
    },
  };
}
