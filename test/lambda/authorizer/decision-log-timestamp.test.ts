/**
 * The decision log writes Powertools' timestamp (`toISOString` of the instant) from the text of the current
 * second plus the milliseconds: for any sequence of instants, each line's timestamp is the ISO form of its
 * own instant, whatever instant came before.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimestampClock, createDecisionLog } from '../../../lambda/authorizer/decision-log';

/** Years 0 to 9999 and beyond, in milliseconds since the epoch (Date's range is ±8.64e15). */
const INSTANT = fc.integer({ min: -70_000_000_000_000, max: 8_640_000_000_000_000 });
/** Instants that stay within a few seconds of each other, as a container's lines do. */
const NEARBY = fc
  .tuple(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.array(fc.integer({ min: 0, max: 2500 })))
  .map(([start, steps]) => steps.reduce((acc, d) => [...acc, acc[acc.length - 1] + d], [start]));

describe('TimestampClock', () => {
  it('writes the ISO form of each instant, for any sequence of instants', () => {
    fc.assert(
      fc.property(fc.array(INSTANT, { minLength: 1, maxLength: 20 }), (instants) => {
        const clock = new TimestampClock();
        expect(instants.map((ms) => clock.timestamp(ms))).toEqual(
          instants.map((ms) => new Date(ms).toISOString()),
        );
      }),
    );
  });

  it('writes the ISO form of each of nearby instants (the same second reused, then the next)', () => {
    fc.assert(
      fc.property(NEARBY, (instants) => {
        const clock = new TimestampClock();
        expect(instants.map((ms) => clock.timestamp(ms))).toEqual(
          instants.map((ms) => new Date(ms).toISOString()),
        );
      }),
    );
  });

  it.each([
    ['the first millisecond of a second', Date.UTC(2026, 11, 4, 22, 0, 0, 0), '2026-12-04T22:00:00.000Z'],
    ['one-digit milliseconds', Date.UTC(2026, 11, 4, 22, 0, 0, 7), '2026-12-04T22:00:00.007Z'],
    ['two-digit milliseconds', Date.UTC(2026, 11, 4, 22, 0, 0, 42), '2026-12-04T22:00:00.042Z'],
    ['the last millisecond of a year', Date.UTC(2026, 11, 31, 23, 59, 59, 999), '2026-12-31T23:59:59.999Z'],
    ['before the epoch', Date.UTC(1969, 11, 31, 23, 59, 59, 1), '1969-12-31T23:59:59.001Z'],
    [
      'a fraction of a millisecond (truncated, as Date does)',
      Date.UTC(2026, 0, 1) + 5.9,
      '2026-01-01T00:00:00.005Z',
    ],
  ])('%s', (_name, ms, expected) => {
    const clock = new TimestampClock();
    clock.timestamp(ms - 1);
    expect(clock.timestamp(ms)).toBe(expected);
  });

  it('is the timestamp of the decision line', () => {
    const lines: string[] = [];
    let now = Date.UTC(2026, 11, 4, 22, 0, 0, 998);
    const log = createDecisionLog({ write: (line) => lines.push(line), env: {}, now: () => now });
    for (let i = 0; i < 3; i++, now++) {
      log.decision({ decision: 'allow', reason: 'allowed', durationMs: 0.1, cached: false });
    }
    expect(lines.map((l) => (JSON.parse(l) as { timestamp: string }).timestamp)).toEqual([
      '2026-12-04T22:00:00.998Z',
      '2026-12-04T22:00:00.999Z',
      '2026-12-04T22:00:01.000Z',
    ]);
  });
});
