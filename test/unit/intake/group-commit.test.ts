import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../../src/intake/group-commit.js';

/** A run function whose calls stay open until released, recording the batches it was given. */
function gatedRun() {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  const run = async (items: readonly number[]) => {
    batches.push([...items]);
    await new Promise<void>((release) => gates.push(release));
    return items.map((n) => fulfilled(n * 10));
  };
  const releaseAll = () => gates.splice(0).forEach((release) => release());
  return { run, batches, releaseAll };
}

const fulfilled = <T>(value: T): PromiseFulfilledResult<T> => ({ status: 'fulfilled', value });

const tick = () => new Promise((r) => setImmediate(r));

describe('GroupCommit', () => {
  it('sends an item at once, alone, when a slot is free', async () => {
    const { run, batches, releaseAll } = gatedRun();
    const group = new GroupCommit(run, { maxBatch: 8, maxInFlight: 2 });
    const answer = group.submit(1);
    expect(batches).toEqual([[1]]);
    releaseAll();
    expect(await answer).toBe(10);
  });

  it('gathers what arrives while the slots are busy into the next call, in order, each item answered with its own result', async () => {
    const { run, batches, releaseAll } = gatedRun();
    const group = new GroupCommit(run, { maxBatch: 8, maxInFlight: 2 });
    const answers = [1, 2, 3, 4, 5, 6].map((n) => group.submit(n));
    expect(batches).toEqual([[1], [2]]);
    releaseAll();
    await tick();
    expect(batches).toEqual([[1], [2], [3, 4, 5, 6]]);
    releaseAll();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it('never puts more than maxBatch items in one call', async () => {
    const { run, batches, releaseAll } = gatedRun();
    const group = new GroupCommit(run, { maxBatch: 3, maxInFlight: 1 });
    const answers = Array.from({ length: 8 }, (_, i) => group.submit(i));
    for (let i = 0; i < 4; i++) {
      releaseAll();
      await tick();
    }
    expect(batches.map((b) => b.length)).toEqual([1, 3, 3, 1]);
    expect(await Promise.all(answers)).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
  });

  it('fails every item of a failed call with its error, and carries on with the next', async () => {
    let calls = 0;
    const group = new GroupCommit(
      async (items: readonly number[]) => {
        calls++;
        if (items.includes(2)) throw new Error('database down');
        return items.map((n) => fulfilled(String(n)));
      },
      { maxBatch: 4, maxInFlight: 1 },
    );
    const outcomes = await Promise.allSettled([group.submit(1), group.submit(2), group.submit(3)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'database down' });
    expect(await group.submit(4)).toBe('4');
    expect(calls).toBe(3);
  });

  it('refuses a run function that answers a batch with the wrong number of results', async () => {
    const group = new GroupCommit(async () => [fulfilled(1)], { maxBatch: 4, maxInFlight: 1 });
    const outcomes = await Promise.allSettled([group.submit(1), group.submit(2), group.submit(3)]);
    expect(outcomes[0]?.status).toBe('fulfilled');
    expect(outcomes.slice(1).map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });

  it('fails only the items the call answers as rejected', async () => {
    const group = new GroupCommit(
      async (items: readonly number[]) =>
        items.map((n): PromiseSettledResult<number> => (n % 2 ? fulfilled(n) : { status: 'rejected', reason: new Error(`no ${n}`) })),
      { maxBatch: 4, maxInFlight: 1 },
    );
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map((n) => group.submit(n)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect((outcomes[3] as PromiseRejectedResult).reason).toMatchObject({ message: 'no 4' });
  });
});
