import type { PostCommand, PostState } from '../../domain';
import type { PlatformAccount } from '../../platforms';

/** Who records a result and why: becomes the events' metadata. */
export interface CommandMeta {
  workspace_id: string;
  actor: string;
  correlation_id?: string;
  causation_id?: string;
  request_id?: string;
}

/**
 * The command side as the publishing pieces use it (`PostCommands` of `libs/posts`):
 * results are reported as commands, decided against the post's current events and
 * appended with optimistic concurrency.
 */
export interface PostCommandSide {
  execute(postId: string, command: PostCommand, meta: CommandMeta, options?: { retries?: number }): Promise<unknown>;
  load(postId: string): Promise<{ state: PostState }>;
}

/** The registry's accounts, as far as publishers need them. */
export interface AccountCredentials {
  credentialsOf(workspaceId: string, accountId: string): Promise<PlatformAccount | null>;
}

/** pino-compatible; only structured calls are used. */
export interface PublishingLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: PublishingLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
