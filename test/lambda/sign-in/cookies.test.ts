import { describe, expect, it } from 'vitest';
import {
  MAX_COOKIE_HEADER_BYTES,
  clearCookie,
  parseCookies,
  serializeCookie,
} from '../../../common/session/cookies';

describe('parseCookies', () => {
  it('reads a REST Cookie header and HTTP API cookie pairs alike', () => {
    expect([...parseCookies(['a=1; b=2;c=3'])]).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ]);
    expect([...parseCookies(['a=1', 'b=2'])]).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('keeps the first of a repeated name (the most specific path comes first)', () => {
    expect(parseCookies(['s=first; s=second']).get('s')).toBe('first');
  });

  it('strips DQUOTEs around a value', () => {
    expect(parseCookies(['a="x~y"']).get('a')).toBe('x~y');
  });

  it.each([
    ['noequals', 'a pair without ='],
    ['=value', 'an empty name'],
    ['a b=1', 'a name with a space'],
    ['a=x,y', 'a comma in the value'],
    ['a=x\\y', 'a backslash in the value'],
  ])('skips %j (%s)', (header) => {
    expect(parseCookies([header]).size).toBe(0);
  });

  it('ignores non-string entries and an oversized header', () => {
    expect(parseCookies([undefined, 'a=1']).get('a')).toBe('1');
    expect(parseCookies(['a=' + 'x'.repeat(MAX_COOKIE_HEADER_BYTES)]).size).toBe(0);
    expect(parseCookies(undefined).size).toBe(0);
  });
});

describe('serializeCookie', () => {
  it('defaults to HttpOnly, Secure, SameSite=Lax on Path=/', () => {
    expect(serializeCookie('a', 'b')).toBe('a=b; Path=/; HttpOnly; Secure; SameSite=Lax');
  });

  it('deletes with Max-Age=0 and a past Expires', () => {
    expect(clearCookie('a')).toBe(
      'a=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax',
    );
  });

  it.each([
    ['a;b', 'v', "invalid cookie name 'a;b'"],
    ['a', 'v;Domain=evil', "invalid value for cookie 'a'"],
    ['a', 'v\r\nSet-Cookie: x=1', "invalid value for cookie 'a'"],
  ])('refuses to write name %j value %j', (name, value, message) => {
    expect(() => serializeCookie(name, value)).toThrow(message);
  });
});
