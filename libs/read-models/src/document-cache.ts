import type { RecordedEvent } from '../../event-store';
import type { PostDocument, PostReadModel } from './port';
import { postIdsOf } from './projection';

/**
 * The documents a projector wrote last, least recently written evicted first. Its
 * documents are exactly what was saved, so evolving them is the same as evolving the
 * stored ones, without a read per batch; only posts it does not hold are loaded.
 */
export class DocumentCache {
  private readonly documents = new Map<string, PostDocument>();

  constructor(private readonly capacity: number) {}

  get(postId: string): PostDocument | undefined {
    return this.documents.get(postId);
  }

  remember(documents: readonly PostDocument[]): void {
    for (const doc of documents) {
      const held = this.documents.get(doc.id);
      // A lower revision can come back from a guarded save that kept the newer one.
      if (held && held.revision >= doc.revision) continue;
      this.documents.delete(doc.id);
      this.documents.set(doc.id, doc);
    }
    let excess = this.documents.size - this.capacity;
    if (excess <= 0) return;
    for (const id of this.documents.keys()) {
      if (excess-- <= 0) break;
      this.documents.delete(id);
    }
  }

  clear(): void {
    this.documents.clear();
  }

  /** What the events' posts look like now: from the cache, else from the model. */
  async lookup(events: readonly RecordedEvent[], model: PostReadModel): Promise<(postId: string) => PostDocument | undefined> {
    const missing = postIdsOf(events).filter((id) => !this.documents.has(id));
    const loaded = missing.length > 0 ? await model.load(missing) : new Map<string, PostDocument>();
    return (postId) => this.documents.get(postId) ?? loaded.get(postId);
  }
}
