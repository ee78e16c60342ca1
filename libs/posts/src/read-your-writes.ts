import { Inject, Injectable, Optional } from '@nestjs/common';
import { postView, type PostView } from '../../domain';
import type { PostReadModel } from '../../read-models';
import { CONFIG, POST_READ_MODEL } from '../../wiring';
import type { PostCommandOutcome } from './post-commands';

export const DEFAULT_READ_YOUR_WRITES_TIMEOUT_MS = 5000;

/** The part of the runtime configuration this feature reads. */
export interface ReadYourWritesConfig {
  readYourWritesTimeoutMs?: number;
}

/**
 * A write is answered once the read model shows it, so the client's next GET or list
 * sees what it just did. Should the projector lag past the timeout, the answer is built
 * from the events just appended (they are durable; only the read model is late).
 */
@Injectable()
export class ReadYourWrites {
  private readonly timeoutMs: number;

  constructor(
    @Inject(POST_READ_MODEL) private readonly readModel: PostReadModel,
    @Optional() @Inject(CONFIG) config?: ReadYourWritesConfig | null,
  ) {
    this.timeoutMs = config?.readYourWritesTimeoutMs ?? DEFAULT_READ_YOUR_WRITES_TIMEOUT_MS;
  }

  /** True once the read model reflects the post at `revision` or later. */
  settle(postId: string, revision: number): Promise<boolean> {
    if (revision < 0) return Promise.resolve(true);
    return this.readModel.waitForRevision(postId, revision, this.timeoutMs);
  }

  /** The post as the read model shows it after the write. */
  async view(workspaceId: string, postId: string, outcome: PostCommandOutcome): Promise<PostView> {
    if (await this.settle(postId, outcome.revision)) {
      const view = await this.readModel.get(workspaceId, postId);
      if (view) return view;
    }
    return postView(outcome.state);
  }
}
