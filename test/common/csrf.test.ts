/**
 * The same-origin proof shared by browser sessions, token cookies and the sign-in routes.
 */
import { describe, expect, it } from 'vitest';
import { checkCsrf, checkRequestCsrf } from '../../common/csrf';

describe('checkCsrf', () => {
  const own = 'https://api.example.com';
  const base = { allowedOrigins: [own, 'https://app.example.com'] };

  it.each<[string, Record<string, string>, boolean, string]>([
    ['GET', {}, true, 'safe-method'],
    ['HEAD', { origin: 'https://evil.example' }, true, 'safe-method'],
    ['OPTIONS', {}, true, 'safe-method'],
    ['POST', { origin: own }, true, 'origin'],
    ['POST', { origin: 'https://app.example.com' }, true, 'origin'],
    ['DELETE', { origin: 'https://api.example.com:443' }, true, 'origin'],
    ['POST', { 'sec-fetch-site': 'same-origin' }, true, 'sec-fetch-site'],
    ['PUT', { 'x-keygate-csrf': '1' }, true, 'csrf-header'],
    ['POST', { 'sec-fetch-site': 'none', 'x-keygate-csrf': 'yes' }, true, 'csrf-header'],
  ])('%s with %j passes', (method, headers, ok, via) => {
    expect(checkCsrf({ ...base, method, headers })).toEqual({ ok, via });
  });

  it.each<[string, Record<string, string>, string]>([
    ['POST', {}, 'no evidence at all'],
    ['POST', { origin: 'https://evil.example' }, 'a cross-site Origin'],
    [
      'POST',
      { origin: 'https://evil.example', 'x-keygate-csrf': '1' },
      'a cross-site Origin, even with the header',
    ],
    ['POST', { origin: 'null' }, 'an opaque Origin'],
    ['POST', { origin: 'http://api.example.com' }, 'the API origin over http'],
    ['POST', { origin: 'https://api.example.com.evil.example' }, 'a suffix lookalike'],
    ['PATCH', { 'sec-fetch-site': 'cross-site' }, 'Sec-Fetch-Site cross-site'],
    ['PATCH', { 'sec-fetch-site': 'same-site' }, 'Sec-Fetch-Site same-site (a sibling subdomain)'],
    ['PATCH', { 'sec-fetch-site': 'cross-site', 'x-keygate-csrf': '1' }, 'cross-site even with the header'],
    ['POST', { 'x-keygate-csrf': '   ' }, 'a blank CSRF header'],
    ['POST', { 'x-other-csrf': '1' }, 'another header name'],
    ['post', { origin: 'https://evil.example' }, 'a lower-case method'],
  ])('%s with %j is refused (%s)', (method, headers) => {
    expect(checkCsrf({ ...base, method, headers })).toEqual({ ok: false, reason: 'csrf_rejected' });
  });

  it.each<[string, readonly string[], string]>([
    // An origin that does not parse as http(s) matches nothing, not even an allowed entry that fails to
    // parse the same way (both would be "no origin").
    ['null', ['null'], 'an opaque Origin, even if `null` is listed'],
    ['not a url', ['also not a url'], 'two unparsable values'],
    ['ftp://api.example.com', ['ftp://api.example.com'], 'a listed origin of another scheme'],
  ])('Origin %j with allowedOrigins %j is refused (%s)', (origin, allowedOrigins) => {
    expect(checkCsrf({ method: 'POST', headers: { origin }, allowedOrigins })).toEqual({
      ok: false,
      reason: 'csrf_rejected',
    });
  });

  it('accepts a listed http origin (a local development front end)', () => {
    expect(
      checkCsrf({
        method: 'POST',
        headers: { origin: 'http://localhost:5173' },
        allowedOrigins: ['http://localhost:5173'],
      }),
    ).toEqual({ ok: true, via: 'origin' });
  });

  it('honours a configured header name', () => {
    expect(
      checkCsrf({
        ...base,
        method: 'POST',
        headers: { 'x-requested-with': 'fetch' },
        csrfHeader: 'X-Requested-With',
      }),
    ).toEqual({
      ok: true,
      via: 'csrf-header',
    });
  });
});

describe('checkRequestCsrf', () => {
  const req = (headers: Record<string, string[]>, method = 'POST') => ({
    method,
    headers: new Map(Object.entries(headers)),
    ownOrigin: 'https://api.example.com',
  });

  it("allows the request's own origin and the configured ones, and nothing else", () => {
    const policy = { allowedOrigins: ['https://app.example.com'] };
    expect(checkRequestCsrf(req({ origin: ['https://api.example.com'] }), policy)).toEqual({
      ok: true,
      via: 'origin',
    });
    expect(checkRequestCsrf(req({ origin: ['https://app.example.com'] }), policy)).toEqual({
      ok: true,
      via: 'origin',
    });
    expect(checkRequestCsrf(req({ origin: ['https://evil.example'] }), policy)).toEqual({
      ok: false,
      reason: 'csrf_rejected',
    });
  });

  it('refuses a doubled Origin header, even of the own origin', () => {
    expect(
      checkRequestCsrf(req({ origin: ['https://api.example.com', 'https://api.example.com'] }), {}),
    ).toEqual({ ok: false, reason: 'csrf_rejected' });
  });
});
