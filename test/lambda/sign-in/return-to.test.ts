import { describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../../common/session/return-to';

describe('safeReturnTo', () => {
  it.each([
    ['/'],
    ['/me'],
    ['/models/sentiment?view=full&x=1'],
    ['/a/b/c'],
    ['/search?q=a%20b'],
    ['/path/with:colon'],
  ])('accepts the same-site path %s', (path) => {
    expect(safeReturnTo(path)).toBe(path);
  });

  it.each([
    ['//evil.example', 'scheme-relative URL'],
    ['/\\evil.example', 'backslash (browsers read it as /)'],
    ['\\\\evil.example', 'double backslash'],
    ['https://evil.example/', 'absolute URL'],
    ['http:evil.example', 'scheme without slashes'],
    ['javascript:alert(1)', 'javascript URL'],
    ['evil.example', 'no leading slash'],
    ['', 'empty'],
    ['/%2F%2Fevil.example', 'encoded //'],
    ['%2F%2Fevil.example', 'fully encoded //'],
    ['/%5Cevil.example', 'encoded backslash'],
    ['/%252F%252Fevil.example', 'double-encoded //'],
    ['/\t/evil.example', 'tab (browsers strip it, leaving //)'],
    ['/%09/evil.example', 'encoded tab'],
    ['/\n/evil.example', 'newline'],
    ['/%0d%0aSet-Cookie:x=1', 'encoded CRLF (header injection)'],
    ['/ /evil', 'raw space'],
    ['/%09%09evil', 'encoded tabs'],
    ['/%00', 'NUL'],
    ['/%E0%A4%A', 'malformed percent-encoding'],
    ['/' + 'a'.repeat(3000), 'too long'],
    ['/<script>', 'characters outside the URL set'],
    ['/%25252525252F%25252525252Fevil', 'encoded more times than decoding is allowed'],
  ])('refuses %j (%s)', (value) => {
    expect(safeReturnTo(value)).toBeUndefined();
  });

  it.each([[undefined], [null], [42], [['/me']], [{}]])('refuses the non-string %j', (value) => {
    expect(safeReturnTo(value)).toBeUndefined();
  });
});
