import { RecentJobIds } from './recent-job-ids';

describe('RecentJobIds', () => {
  it('answers false for an id seen within the time-to-live, true again after it', () => {
    let now = 0;
    const ids = new RecentJobIds(1_000, 10, () => now);
    expect(ids.rememberIfNew('a')).toBe(true);
    now = 999;
    expect(ids.rememberIfNew('a')).toBe(false);
    now = 1_000;
    expect(ids.rememberIfNew('a')).toBe(true);
  });

  it('keeps at most maxIds ids, forgetting the oldest first', () => {
    const ids = new RecentJobIds(60_000, 3, () => 0);
    for (const id of ['a', 'b', 'c', 'd']) expect(ids.rememberIfNew(id)).toBe(true);
    expect(ids.size).toBe(3);
    expect(ids.rememberIfNew('d')).toBe(false);
    expect(ids.rememberIfNew('b')).toBe(false);
    expect(ids.rememberIfNew('a')).toBe(true);
  });

  it('drops expired ids from memory, not only from answers', () => {
    let now = 0;
    const ids = new RecentJobIds(100, 1_000, () => now);
    for (let i = 0; i < 50; i++) ids.rememberIfNew(`old-${i}`);
    now = 200;
    ids.rememberIfNew('new');
    expect(ids.size).toBe(1);
  });
});
