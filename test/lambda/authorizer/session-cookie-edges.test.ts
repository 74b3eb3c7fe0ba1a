/**
 * The session cookie's edges, pinned exactly: cookie parsing (quotes, blanks, the size bound), the envelope
 * (its size bounds, the inflate bound, authentic content of the wrong shape), chunking at exact chunk
 * sizes, and the authorizer's session step. Written for the mutants the other session tests let through
 * (docs/security-testing.md).
 */
import { describe, expect, it } from 'vitest';
import { MAX_COOKIE_HEADER_BYTES, parseCookies, serializeCookie } from '../../../common/session/cookies';
import type { SessionData } from '../../../common/session/session-envelope';
import {
  CHUNK_CHARS,
  MAX_CHUNKS,
  clearSessionCookies,
  openSession,
  reassembleSession,
  sealSession,
  sessionSetCookies,
} from '../../../common/session/session-envelope';
import { openRequestSession, signInRedirect } from '../../../lambda/authorizer/session-cookie';
import { keyring } from '../sign-in/support';

const NOW = 1_800_000_000;
const data: SessionData = {
  accessToken: 'header.payload.signature',
  accessExpiresAt: NOW + 60,
  expiresAt: NOW + 3600,
  issuedAt: NOW - 10,
};

describe('parseCookies, exactly', () => {
  it.each<[string, string | undefined]>([
    ['a=""', ''],
    ['a="x"', 'x'],
    ['a="x', undefined],
    ['a=x"', undefined],
    ['a="', undefined],
    ['a= b ', 'b'],
  ])('%s gives %s', (header, value) => {
    const cookies = parseCookies([header]);
    expect([cookies.has('a'), cookies.get('a')]).toEqual([value !== undefined, value]);
  });

  it('parses headers of exactly the byte bound, and nothing beyond it', () => {
    const exact = `a=${'v'.repeat(MAX_COOKIE_HEADER_BYTES - 2)}`;
    expect(parseCookies([exact]).get('a')).toHaveLength(MAX_COOKIE_HEADER_BYTES - 2);
    expect(parseCookies([exact, 'b']).size).toBe(0);
  });
});

describe('serializeCookie flags', () => {
  it('leaves out HttpOnly and Secure when asked to', () => {
    expect(serializeCookie('a', 'b', { httpOnly: false, secure: false })).toBe('a=b; Path=/; SameSite=Lax');
  });
});

describe('openSession, exactly', () => {
  const ring = keyring();
  const seal = (v: unknown) => sealSession(v as SessionData, ring.current);

  it.each<[string, unknown]>([
    ['null', null],
    ['a number', 42],
    ['a string', 'token'],
    ['an access token that is a list', { ...data, accessToken: ['x'] }],
    ['an empty refresh token', { ...data, refreshToken: '' }],
    ['a refresh token that is a number', { ...data, refreshToken: 5 }],
    ['a refresh token that is a list', { ...data, refreshToken: ['r'] }],
    ['an empty ID token', { ...data, idToken: '' }],
  ])('refuses authentic content that is %s as malformed', (_name, content) => {
    expect(openSession(seal(content), ring, NOW)).toEqual({ ok: false, reason: 'session_malformed' });
  });

  it('refuses content that inflates beyond 64 KiB (a compression bomb), and opens one just below', () => {
    expect(openSession(seal({ ...data, accessToken: 'a'.repeat(70_000) }), ring, NOW)).toEqual({
      ok: false,
      reason: 'session_malformed',
    });
    expect(openSession(seal({ ...data, accessToken: 'a'.repeat(60_000) }), ring, NOW)).toMatchObject({
      ok: true,
    });
  });

  it('refuses a ciphertext of exactly the tag length (no content) as malformed, not as tampered', () => {
    const [v, id, iv] = seal(data).split('.');
    const tagOnly = Buffer.alloc(16).toString('base64url');
    expect(openSession([v, id, iv, tagOnly].join('.'), ring, NOW)).toEqual({
      ok: false,
      reason: 'session_malformed',
    });
  });
});

describe('session cookies at exact chunk sizes', () => {
  const live = (setCookies: string[]) => setCookies.filter((c) => !c.includes('Max-Age=0'));

  it('an envelope of exactly one chunk is one cookie; of exactly MAX_CHUNKS chunks is accepted', () => {
    expect(live(sessionSetCookies('s', 'e'.repeat(CHUNK_CHARS), { maxAgeSeconds: 60 }))).toHaveLength(1);
    const full = sessionSetCookies('s', 'e'.repeat(CHUNK_CHARS * MAX_CHUNKS), { maxAgeSeconds: 60 });
    expect(live(full)).toHaveLength(MAX_CHUNKS);
    expect(() =>
      sessionSetCookies('s', 'e'.repeat(CHUNK_CHARS * MAX_CHUNKS + 1), { maxAgeSeconds: 60 }),
    ).toThrow(`session of ${CHUNK_CHARS * MAX_CHUNKS + 1} characters exceeds ${MAX_CHUNKS} cookies`);
  });

  it('clears stale chunks with the flags the session was set with', () => {
    const stale = (opts: { secure?: boolean }) =>
      sessionSetCookies('s', 'e', { maxAgeSeconds: 60, ...opts }).filter((c) => c.includes('Max-Age=0'));
    expect(stale({})).toEqual(
      [1, 2, 3].map(
        (n) =>
          `s-${n}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax`,
      ),
    );
    expect(stale({ secure: false })).toEqual(
      [1, 2, 3].map(
        (n) => `s-${n}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax`,
      ),
    );
    expect(clearSessionCookies('s', { secure: false })[0]).toBe(
      's=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax',
    );
  });
});

describe('reassembleSession, exactly', () => {
  const parsed = (...pairs: string[]) => parseCookies(pairs);

  it.each<[string, string[], unknown]>([
    ['an empty session cookie is absent', ['s='], { ok: false, reason: 'session_absent' }],
    [
      'a repeated session cookie is malformed',
      ['s=1~a', 's=1~b'],
      { ok: false, reason: 'session_malformed' },
    ],
    [
      'a count with something before it is malformed',
      ['s=x1~abc'],
      { ok: false, reason: 'session_malformed' },
    ],
    [
      'a count above MAX_CHUNKS is malformed even with every chunk there',
      ['s=5~a', 's-1=b', 's-2=c', 's-3=d', 's-4=e'],
      { ok: false, reason: 'session_malformed' },
    ],
    ['MAX_CHUNKS chunks reassemble', ['s=4~a', 's-1=b', 's-2=c', 's-3=d'], { ok: true, envelope: 'abcd' }],
  ])('%s', (_name, pairs, expected) => {
    expect(reassembleSession(parsed(...pairs), 's')).toEqual(expected);
  });

  it('reads a plain map of cookies (no list of repeated names)', () => {
    expect(
      reassembleSession(
        new Map([
          ['s', '2~ab'],
          ['s-1', 'cd'],
        ]),
        's',
      ),
    ).toEqual({ ok: true, envelope: 'abcd' });
  });
});

describe('the authorizer session step, exactly', () => {
  it('a session cookie with an empty value is no session', async () => {
    const ring = keyring();
    const request = { method: 'GET', cookies: ['__Host-keygate_session='], headers: new Map() };
    expect(
      await openRequestSession(request, { allowedOrigins: [] }, { keyring: async () => ring }, NOW),
    ).toEqual({ kind: 'absent' });
  });

  const base = {
    baseUrl: 'https://api.example.com/prod',
    browserRoute: true,
    accessExpired: false,
    path: '/me',
  };
  it('redirects a HEAD navigation like a GET', () => {
    expect(signInRedirect({ ...base, method: 'HEAD', headers: { 'sec-fetch-mode': 'navigate' } })).toBe(
      'https://api.example.com/prod/auth/login?returnTo=%2Fme',
    );
  });
  it('reads an Accept header that lists HTML after a comma and a space', () => {
    expect(
      signInRedirect({ ...base, method: 'GET', headers: { accept: 'application/xhtml+xml, text/html' } }),
    ).toBe('https://api.example.com/prod/auth/login?returnTo=%2Fme');
  });
});
