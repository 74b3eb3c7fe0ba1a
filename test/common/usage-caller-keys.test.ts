import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apiStageOf, callerKeyName, callerKeyRecordId, callerKeyValue } from '../../common/usage-caller-keys';
import { USAGE_KEY_VALUE } from '../../common/usage-tiers';

const SECRET = 'TierSecret0000000000000000000000000000001';

describe('per-caller key derivation', () => {
  it('is an API key value, a function of tier, issuer and subject, and differs per caller', () => {
    const a = callerKeyValue(SECRET, 'free', { issuer: 'https://i', sub: 'alice' });
    expect(a).toMatch(USAGE_KEY_VALUE);
    expect(a).toBe(callerKeyValue(SECRET, 'free', { issuer: 'https://i', sub: 'alice' }));
    expect(a).not.toBe(callerKeyValue(SECRET, 'free', { issuer: 'https://j', sub: 'alice' }));
    expect(a).not.toBe(callerKeyValue(SECRET, 'team', { issuer: 'https://i', sub: 'alice' }));
    expect(a).not.toBe(callerKeyValue(`${SECRET}x`, 'free', { issuer: 'https://i', sub: 'alice' }));
  });

  it('property: distinct (issuer, sub) pairs never share a key (parts cannot run into each other)', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string({ minLength: 1 }),
        fc.string(),
        fc.string({ minLength: 1 }),
        (i1, s1, i2, s2) => {
          fc.pre(i1 !== i2 || s1 !== s2);
          expect(callerKeyValue(SECRET, 'free', { issuer: i1, sub: s1 })).not.toBe(
            callerKeyValue(SECRET, 'free', { issuer: i2, sub: s2 }),
          );
        },
      ),
      { numRuns: 300 },
    );
    expect(callerKeyValue(SECRET, 'free', { issuer: 'a|1:b', sub: 'c' })).not.toBe(
      callerKeyValue(SECRET, 'free', { issuer: 'a', sub: 'b|1:c' }),
    );
  });

  it('gives a caller without a subject no key of its own', () => {
    expect(callerKeyValue(SECRET, 'free', { issuer: 'https://i', sub: '' })).toBeUndefined();
    expect(callerKeyValue(SECRET, 'free', { sub: 'x'.repeat(2049) })).toBeUndefined();
  });

  it('names records and keys without the value', () => {
    const v = callerKeyValue(SECRET, 'free', { sub: 'alice' })!;
    const id = callerKeyRecordId('free', v);
    expect(id).toMatch(/^free\.[0-9a-f]{40}$/);
    expect(id).not.toContain(v.slice(0, 16));
    expect(callerKeyName(id)).toBe(`keygate-caller-${id}`);
  });

  it.each([
    ['arn:aws:execute-api:eu-west-1:123456789012:abcdef123/dev/', { apiId: 'abcdef123', stage: 'dev' }],
    ['arn:aws-cn:execute-api:cn-north-1:123456789012:a1/prod_2/', { apiId: 'a1', stage: 'prod_2' }],
    ['arn:aws:execute-api:eu-west-1:123456789012:abcdef123/dev', undefined],
    ['arn:aws:lambda:eu-west-1:123456789012:abcdef123/dev/', undefined],
  ])('reads the API stage of %s', (arn, expected) => {
    expect(apiStageOf(arn)).toEqual(expected);
  });
});
