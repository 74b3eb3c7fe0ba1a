/**
 * The predicates every configuration validator shares (common/field-checks.ts): each rule's accepted and
 * refused values, non-strings included, so a validator built on them can never accept a shape by accident.
 */
import { describe, expect, it } from 'vitest';
import {
  isHeaderName,
  isHttpUrl,
  isHttpsOrigin,
  isHttpsUrl,
  isIntIn,
  isLoopbackUrl,
  isNonEmptyList,
  isNonEmptyString,
  isStringList,
} from '../../common/field-checks';

const NOT_STRINGS = [undefined, null, 42, true, {}, ['https://sso.example.com']];

describe('field checks', () => {
  it.each<[string, (v: unknown) => boolean, unknown[], unknown[]]>([
    [
      'isHttpsUrl',
      isHttpsUrl,
      ['https://sso.example.com/realms/ml', 'https://sso.example.com:8443', 'https://[::1]/realms/x'],
      [
        ...NOT_STRINGS,
        '',
        'https://sso.example.com/realms/ml/',
        'http://sso.example.com/realms/ml',
        'https://sso.example.com/realms/ml?x=1',
        'https://sso.example.com/realms/ml#top',
        'https://user:pw@sso.example.com/realms/ml',
        'https://user@sso.example.com/realms/ml',
        'not a url',
      ],
    ],
    [
      'isHttpUrl',
      isHttpUrl,
      ['http://127.0.0.1:8080/realms/dev', 'http://localhost'],
      [
        ...NOT_STRINGS,
        'http://localhost/',
        'https://sso.example.com',
        'http://localhost/realms/x?y=1',
        'http://localhost/realms/x#f',
        'http://u:p@localhost/realms/x',
        '::',
      ],
    ],
    [
      'isLoopbackUrl',
      isLoopbackUrl,
      ['http://localhost:8080', 'https://127.0.0.1/realms/x', 'http://127.255.0.9', 'http://[::1]:3000/'],
      [...NOT_STRINGS, 'http://128.0.0.1', 'http://localhost.example.com', 'http://127.0.0.1.nip.io', 'nope'],
    ],
    [
      'isHttpsOrigin',
      isHttpsOrigin,
      ['https://app.example.com', 'https://app.example.com:8443'],
      [
        ...NOT_STRINGS,
        'https://app.example.com/',
        'https://app.example.com/path',
        'http://app.example.com',
        'https://APP.example.com',
        'https://app.example.com:443',
        'app.example.com',
      ],
    ],
    [
      'isHeaderName',
      isHeaderName,
      ['x-keygate-csrf', 'Authorization', "a!#$%&'*+.^_`|~-9", 'h'.repeat(64)],
      [...NOT_STRINGS, '', 'h'.repeat(65), 'x keygate', 'x:csrf', 'x-é', 'x"y'],
    ],
  ])('%s accepts exactly its values', (_name, check, accepted, refused) => {
    expect(accepted.map((v) => [v, check(v)])).toEqual(accepted.map((v) => [v, true]));
    expect(refused.map((v) => [v, check(v)])).toEqual(refused.map((v) => [v, false]));
  });

  it('isStringList: non-empty strings up to the bound (256 unless given); an empty list is a list', () => {
    expect(isStringList([])).toBe(true);
    expect(isStringList(['a', 'b'.repeat(256)])).toBe(true);
    expect(isStringList(['a', 'b'.repeat(257)])).toBe(false);
    expect(isStringList(['abc'], 2)).toBe(false);
    expect(isStringList(['ab'], 2)).toBe(true);
    expect(isStringList(['a', ''])).toBe(false);
    expect(isStringList(['a', 1])).toBe(false);
    expect(isStringList('a')).toBe(false);
    expect(isStringList(undefined)).toBe(false);
  });

  it('isNonEmptyList, isIntIn and isNonEmptyString', () => {
    expect([
      isNonEmptyList([0]),
      isNonEmptyList([]),
      isNonEmptyList('x'),
      isNonEmptyList({ length: 1 }),
    ]).toEqual([true, false, false, false]);
    expect([1, 5, 10].map((v) => isIntIn(v, 1, 10))).toEqual([true, true, true]);
    expect([0, 11, 1.5, Number.NaN, '5', undefined].map((v) => isIntIn(v, 1, 10))).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect([
      isNonEmptyString('a', 1),
      isNonEmptyString('ab', 1),
      isNonEmptyString('', 5),
      isNonEmptyString(7, 5),
    ]).toEqual([true, false, false, false]);
  });
});
