import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluatePolicy, iamGlobMatches, InvalidAuthorizerResponse } from '../../local/gateway/iam-policy';
import { AuthorizerResultCache } from '../../local/gateway/result-cache';

const ARN = 'arn:aws:execute-api:eu-west-1:000000000000:local/$default';
const allow = (...r: string[]) => ({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: r });
const deny = (...r: string[]) => ({ Effect: 'Deny', Action: 'execute-api:Invoke', Resource: r });

describe('evaluatePolicy (API Gateway evaluation of an authorizer policy)', () => {
  it.each([
    ['an exact Allow', [allow(`${ARN}/GET/models`)], 'GET/models', 'allow'],
    [
      'a wildcard Allow over a run with slashes',
      [allow(`${ARN}/POST/models/*`)],
      'POST/models/a/invoke',
      'allow',
    ],
    ['no matching statement', [allow(`${ARN}/GET/models`)], 'GET/me', 'implicit-deny'],
    [
      'Deny over a matching Allow',
      [allow(`${ARN}/*`), deny(`${ARN}/POST/models/*/invoke`)],
      'POST/models/x/invoke',
      'deny',
    ],
    ['Deny listed first', [deny(`${ARN}/GET/me`), allow(`${ARN}/*`)], 'GET/me', 'deny'],
    [
      'another action',
      [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `${ARN}/*` }],
      'GET/me',
      'implicit-deny',
    ],
    [
      'the execute-api:* action',
      [{ Effect: 'Allow', Action: 'execute-api:*', Resource: `${ARN}/*` }],
      'GET/me',
      'allow',
    ],
    ['another stage', [allow(`${ARN.replace('$default', 'prod')}/*`)], 'GET/me', 'implicit-deny'],
    ['an empty statement list', [], 'GET/me', 'implicit-deny'],
  ])('%s', (_name, statements, suffix, effect) => {
    expect(evaluatePolicy({ Version: '2012-10-17', Statement: statements }, `${ARN}/${suffix}`)).toBe(effect);
  });

  it.each([
    ['no document', undefined],
    ['a statement that is not an object', { Statement: ['x'] }],
    ['an unknown Effect', { Statement: [{ Effect: 'Maybe', Action: '*', Resource: '*' }] }],
    ['a Resource that is not a string', { Statement: [{ Effect: 'Allow', Action: '*', Resource: 42 }] }],
  ])('rejects %s as an invalid authorizer response', (_name, doc) => {
    expect(() => evaluatePolicy(doc, `${ARN}/GET/me`)).toThrow(InvalidAuthorizerResponse);
  });
});

describe('AuthorizerResultCache', () => {
  it('keeps an entry for the TTL, then forgets it', () => {
    let now = 1_000;
    const cache = new AuthorizerResultCache<string>(10, () => now);
    cache.set('k', 'v');
    now += 9_999;
    expect(cache.get('k')).toBe('v');
    now += 1;
    expect(cache.get('k')).toBeUndefined();
  });

  it('caches nothing with a TTL of 0, and stays within its bound', () => {
    const off = new AuthorizerResultCache<string>(0);
    off.set('k', 'v');
    expect(off.get('k')).toBeUndefined();
    const small = new AuthorizerResultCache<number>(60, Date.now, 3);
    for (let i = 0; i < 5; i++) small.set(String(i), i);
    expect(small.size).toBe(3);
    expect(small.get('0')).toBeUndefined();
    expect(small.get('4')).toBe(4);
  });

  it('keys on the identity-source values in order', () => {
    expect(AuthorizerResultCache.key(['a', 'b'])).not.toBe(AuthorizerResultCache.key(['b', 'a']));
    expect(AuthorizerResultCache.key(['a,b'])).not.toBe(AuthorizerResultCache.key(['a', 'b']));
  });
});

describe('iamGlobMatches (IAM resource globs)', () => {
  it('iamGlobMatches treats * as any run', () => {
    expect(iamGlobMatches('GET/models/*', 'GET/models/a/b')).toBe(true);
    expect(iamGlobMatches('GET/models/*', 'POST/models/a')).toBe(false);
    expect(iamGlobMatches('*/a*a', 'x/aa')).toBe(true);
    expect(iamGlobMatches('*/a*a', 'x/a')).toBe(false);
    expect(iamGlobMatches('ab*ba', 'aba')).toBe(false);
    expect(iamGlobMatches('GET/x', 'GET/x/')).toBe(false);
  });

  it('iamGlobMatches treats ? as exactly one character, / included', () => {
    expect(iamGlobMatches('GET/a?c', 'GET/a/c')).toBe(true);
    expect(iamGlobMatches('GET/a?c', 'GET/ac')).toBe(false);
    expect(iamGlobMatches('GET/a?c', 'GET/abbc')).toBe(false);
    expect(iamGlobMatches('*?', '')).toBe(false);
    expect(iamGlobMatches('GET/A', 'GET/a')).toBe(false);
  });

  it('iamGlobMatches agrees with the same glob as an anchored regular expression', () => {
    const chars = fc.constantFrom('a', 'b', '/', '.', '*', '?');
    const text = (max: number) => fc.array(chars, { maxLength: max }).map((c) => c.join(''));
    fc.assert(
      fc.property(text(8), text(10), (pattern, raw) => {
        const resource = raw.replaceAll('*', 'b').replaceAll('?', 'a');
        const source = [...pattern]
          .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
          .join('');
        const expected = new RegExp(`^${source}$`, 's').test(resource);
        expect(iamGlobMatches(pattern, resource)).toBe(expected);
      }),
      { numRuns: 5000 },
    );
  });
});
