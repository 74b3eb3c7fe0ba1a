import { describe, expect, it } from 'vitest';
import { dedupe } from '../../../lambda/authorizer/claim-values';

describe('dedupe', () => {
  const names = (n: number) => Array.from({ length: n }, (_, i) => `r${i}`);

  it.each<[string, string[], string[]]>([
    ['a short list without a duplicate', ['a', 'b', 'c'], ['a', 'b', 'c']],
    ['a short list with duplicates', ['a', 'b', 'a', 'c', 'b'], ['a', 'b', 'c']],
    ['a list of 40 entries without a duplicate', names(40), names(40)],
    ['a list of 40 entries with duplicates', [...names(39), 'r3'], names(39)],
  ])('keeps each entry of %s once, in first-seen order', (_name, list, expected) => {
    expect(dedupe([...list])).toEqual(expected);
  });
});
