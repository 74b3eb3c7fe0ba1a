/**
 * The verified-claims cache against a plain model of its policy, for any sequence of stores, reads and
 * clock moves: a read answers exactly the entry last stored under its key, or nothing (never another
 * key's entry, never one past its `exp`); the cache never holds more than its capacity; and when full it
 * evicts the entry the model names: the one put at the back longest ago, where a read puts an entry at the
 * back only once it is in the older half.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VerifiedClaimsCache } from '../../../lambda/authorizer/verified-claims-cache';
import { verifiedEntry as entry } from '../../support/verified-entry';

/** The policy, written plainly: entries in back-of-the-queue order, each with its insertion stamp. */
class Model {
  private order: { key: string; sub: string; expiresAt: number; stamp: number }[] = [];
  private inserted = 0;
  constructor(private readonly capacity: number) {}

  get(key: string, now: number): string | undefined {
    const i = this.order.findIndex((e) => e.key === key);
    if (i < 0) return undefined;
    const [e] = this.order.splice(i, 1);
    if (now >= e.expiresAt) return undefined;
    if (this.inserted - e.stamp >= this.capacity / 2) {
      e.stamp = ++this.inserted;
      this.order.push(e);
    } else this.order.splice(i, 0, e);
    return e.sub;
  }

  set(key: string, sub: string, expiresAt: number): void {
    if (this.capacity <= 0) return;
    this.order = this.order.filter((e) => e.key !== key);
    while (this.order.length >= this.capacity) this.order.shift();
    this.order.push({ key, sub, expiresAt, stamp: ++this.inserted });
  }

  get size(): number {
    return this.order.length;
  }
}

// Reads and stores of a few keys dominate, so full caches, hits in either half and evictions all occur;
// the clock moves now and then, so entries also expire.
const op = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      key: fc.nat({ max: 9 }),
      ttl: fc.integer({ min: 1, max: 200 }),
    }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('get' as const), key: fc.nat({ max: 9 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('tick' as const), by: fc.integer({ min: 1, max: 10 }) }),
  },
);

describe('VerifiedClaimsCache (property)', () => {
  it('answers, bounds and evicts exactly as its policy says', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.array(op, { minLength: 1, maxLength: 200 }),
        (capacity, ops) => {
          const cache = new VerifiedClaimsCache(capacity);
          const model = new Model(capacity);
          let now = 0;
          let version = 0;
          for (const o of ops) {
            if (o.kind === 'tick') now += o.by;
            else if (o.kind === 'set') {
              const sub = `k${o.key}-v${++version}`;
              cache.set(`k${o.key}`, entry(sub, now + o.ttl));
              model.set(`k${o.key}`, sub, now + o.ttl);
            } else {
              const hit = cache.get(`k${o.key}`, now);
              expect(hit?.principal.sub).toBe(model.get(`k${o.key}`, now));
              if (hit) expect(hit.cached).toBe(true);
            }
            expect(cache.size).toBe(model.size);
            expect(cache.size).toBeLessThanOrEqual(capacity);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
