import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCanonicalPath, NON_CANONICAL_PATH_RESOURCES } from '../../common/canonical-path';
import { iamGlobMatches } from '../../local/gateway/iam-policy';

const PREFIX = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef123/prod/';

/** Does a policy denying NON_CANONICAL_PATH_RESOURCES deny this request's ARN? */
function deniedByGlobs(method: string, path: string): boolean {
  return NON_CANONICAL_PATH_RESOURCES.some((r) => iamGlobMatches(PREFIX + r, PREFIX + method + path));
}

describe('canonical request paths', () => {
  it.each([
    ['/', true],
    ['/models', true],
    ['/models/sentiment/invoke', true],
    ['/files/r%C3%A9sum%C3%A9', true],
    ['/files/a%0Ab', true],
    ['/files/a%8F', true],
    ['/a.b/..c/.d', true],
    ['/admin/%72eports', false],
    ['/admin/reports%2F', false],
    ['/a%2fb', false],
    ['/a%20b', false],
    ['/a%7E', false],
    ['/a%25', false],
    ['/a%5Cb', false],
    ['/a%2', true],
    ['/models/', false],
    ['//', false],
    ['/orders//x', false],
    ['//orders', false],
    ['/a/./b', false],
    ['/a/../b', false],
    ['/a/.', false],
    ['/a/..', false],
    ['/.', false],
  ])('%s: canonical %s, and the deny globs agree', (path, canonical) => {
    expect(isCanonicalPath(path)).toBe(canonical);
    expect(deniedByGlobs('GET', path)).toBe(!canonical);
    expect(deniedByGlobs('DELETE', path)).toBe(!canonical);
  });

  it('the rule and the globs define the same set of paths (generated paths)', () => {
    const char = fc.constantFrom('/', '/', '%', '2', '7', '8', 'a', 'F', '.', '.');
    let refused = 0;
    fc.assert(
      fc.property(fc.array(char, { maxLength: 8 }), fc.constantFrom('GET', 'POST'), (chars, method) => {
        const path = `/${chars.join('')}`;
        const canonical = isCanonicalPath(path);
        if (!canonical) refused++;
        expect(deniedByGlobs(method, path)).toBe(!canonical);
      }),
      { numRuns: 5_000 },
    );
    expect(refused).toBeGreaterThan(1_000);
  });
});
