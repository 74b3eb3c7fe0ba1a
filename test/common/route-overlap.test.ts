import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PathToken } from '../../common/route-overlap';
import { REST, SEG, SEG0, STAR, languagesIntersect, literalTokens } from '../../common/route-overlap';

const lit = literalTokens;

/** The same language as a regular expression (what each token means). */
function regExpOf(tokens: readonly PathToken[]): RegExp {
  const src = tokens
    .map((t) =>
      t.kind === 'char'
        ? t.c.replace(/[\\^$.|?*+()[\]{}/]/g, '\\$&')
        : t.kind === 'seg'
          ? '[^/]+'
          : t.kind === 'seg0'
            ? '[^/]*'
            : t.kind === 'star'
              ? '.*'
              : '.+',
    )
    .join('');
  return new RegExp(`^${src}$`, 's');
}

describe('languagesIntersect', () => {
  it.each<[string, PathToken[], PathToken[], boolean]>([
    ['equal literals', lit('/a/b'), lit('/a/b'), true],
    ['different literals', lit('/a/b'), lit('/a/c'), false],
    ['a star crosses /', [...lit('/a/'), STAR], [...lit('/a/'), SEG0, ...lit('/'), SEG0], true],
    ['a segment does not cross /', [...lit('/a/'), SEG], lit('/a/b/c'), false],
    ['a segment is not empty', [...lit('/a/'), SEG, ...lit('/x')], lit('/a//x'), false],
    ['a request segment may be empty', [...lit('/a/'), SEG0, ...lit('/x')], lit('/a//x'), true],
    ['a greedy remainder is not empty', lit('/a/'), [...lit('/a/'), REST], false],
    ['a star may be empty', lit('/a/'), [...lit('/a/'), STAR], true],
    ['a star then a literal', [STAR, ...lit('/acme/'), STAR], [...lit('/t/'), SEG0, ...lit('/'), REST], true],
    ['a segment never holds /', [SEG], lit('/'), false],
    ['two stars around a literal', [STAR, ...lit('x'), STAR], lit('abc'), false],
  ])('%s', (_name, a, b, expected) => {
    expect(languagesIntersect(a, b)).toBe(expected);
    expect(languagesIntersect(b, a)).toBe(expected);
  });

  const token = fc.oneof(
    fc.constantFrom('a', 'b', '/').map((c): PathToken => ({ kind: 'char', c })),
    fc.constantFrom(SEG, SEG0, STAR, REST),
  );
  const tokens = fc.array(token, { maxLength: 4 });
  // Every string over the alphabet up to 6 characters: a witness for most short languages.
  const strings: string[] = [''];
  for (let i = 0; i < strings.length && strings[i].length < 6; i++) {
    for (const c of ['a', 'b', '/']) strings.push(strings[i] + c);
  }

  it('agrees with regular expressions on every string up to 6 characters', () => {
    fc.assert(
      fc.property(tokens, tokens, (a, b) => {
        const ra = regExpOf(a);
        const rb = regExpOf(b);
        const witness = strings.some((s) => ra.test(s) && rb.test(s));
        const got = languagesIntersect(a, b);
        // A witness proves an intersection; the search may also find one longer than 6 characters.
        if (witness) expect(got).toBe(true);
        if (!got) expect(witness).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });
});
