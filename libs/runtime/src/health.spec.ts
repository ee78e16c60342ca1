import type { EventStore } from '../../event-store';
import type { PostReadModel } from '../../read-models';
import { checkHealth } from './runtime';

describe('health', () => {
  const readModel = { checkpoint: async () => 10n } as unknown as PostReadModel;
  const store = (failed: { name: string; reason: string }[]) => ({ headPosition: async () => 10n, failedSubscriptions: () => failed }) as unknown as EventStore;
  const report = (eventStore: EventStore) =>
    checkHealth({ mode: 'distributed', startedAt: Date.now(), eventStore: { store: eventStore, adapter: 'eventstoredb' }, readModel: { model: readModel, adapter: 'mongodb' }, projectorRunningHere: false });

  it('is ready while every subscription runs', async () => {
    expect(await report(store([]))).toMatchObject({ ready: true, checks: { event_store: { status: 'up' } } });
  });

  it('is not ready, with the reason, once a subscription stopped for good', async () => {
    const health = await report(store([{ name: 'dispatcher', reason: '3 INVALID_ARGUMENT: Invalid position: C:5/P:5' }]));
    expect(health.ready).toBe(false);
    expect(health.status).toBe('unavailable');
    expect(health.checks.event_store).toMatchObject({ status: 'down', error: expect.stringMatching(/dispatcher subscription stopped for good: 3 INVALID_ARGUMENT: Invalid position/) });
  });
});
