import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseCookies } from '../../../common/session/cookies';
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
import { parseKeyring } from '../../../common/session/session-keys';
import { keyring, keyringSecret } from './support';

const NOW = 1_800_000_000;
const session: SessionData = {
  accessToken: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln',
  refreshToken: 'refresh-token-value',
  idToken: 'eyJhbGciOiJSUzI1NiJ9.eyJub25jZSI6Im4ifQ.c2ln',
  accessExpiresAt: NOW + 300,
  expiresAt: NOW + 1800,
  issuedAt: NOW,
};

/** Browser side of Set-Cookie: name=value of every cookie not being deleted. */
function jar(setCookies: readonly string[]): Map<string, string> {
  const live = setCookies.filter((c) => !/Max-Age=0/.test(c)).map((c) => c.split(';')[0]);
  return parseCookies(live);
}

describe('session envelope', () => {
  it('round-trips the token set under the current key', () => {
    const ring = keyring();
    const opened = openSession(sealSession(session, ring.current), ring, NOW);
    expect(opened).toEqual({ ok: true, session, keyId: 'k1' });
  });

  it('uses a fresh 96-bit IV each time, so equal sessions never seal alike', () => {
    const ring = keyring();
    const a = sealSession(session, ring.current).split('.');
    const b = sealSession(session, ring.current).split('.');
    expect(Buffer.from(a[2], 'base64url')).toHaveLength(12);
    expect(a[2]).not.toBe(b[2]);
    expect(a[3]).not.toBe(b[3]);
  });

  it('never carries a token in clear', () => {
    const ring = keyring();
    const envelope = sealSession(session, ring.current);
    for (const secret of [
      session.accessToken,
      session.refreshToken!,
      'alice',
      Buffer.from('alice').toString('base64url'),
    ]) {
      expect(envelope).not.toContain(secret);
    }
  });

  it('keeps opening sessions sealed with a previous key after rotation, and seals new ones with the new key', () => {
    const before = parseKeyring(JSON.stringify({ current: 'k1', k1: 'a'.repeat(40) }));
    const after = parseKeyring(JSON.stringify({ current: 'k2', k1: 'a'.repeat(40), k2: 'b'.repeat(40) }));
    const old = sealSession(session, before.current);
    expect(openSession(old, after, NOW)).toMatchObject({ ok: true, keyId: 'k1' });
    expect(sealSession(session, after.current).split('.')[1]).toBe('k2');
  });

  it('refuses a session whose key was retired', () => {
    const before = parseKeyring(JSON.stringify({ current: 'k1', k1: 'a'.repeat(40) }));
    const retired = parseKeyring(JSON.stringify({ current: 'k2', k2: 'b'.repeat(40) }));
    expect(openSession(sealSession(session, before.current), retired, NOW)).toEqual({
      ok: false,
      reason: 'session_key_unknown',
    });
  });

  it('refuses an envelope sealed with another secret under the same key id', () => {
    const mine = keyring('k1');
    const theirs = keyring('k1');
    expect(openSession(sealSession(session, theirs.current), mine, NOW)).toEqual({
      ok: false,
      reason: 'session_tampered',
    });
  });

  it('refuses an envelope whose key id was swapped (the id is authenticated data)', () => {
    const ring = parseKeyring(JSON.stringify({ current: 'k1', k1: 'a'.repeat(40), k2: 'a'.repeat(40) }));
    const parts = sealSession(session, ring.current).split('.');
    parts[1] = 'k2';
    expect(openSession(parts.join('.'), ring, NOW)).toEqual({ ok: false, reason: 'session_tampered' });
  });

  it.each([0, 5, 20, -1])('refuses a ciphertext with one bit flipped at byte %i', (at) => {
    const ring = keyring();
    const parts = sealSession(session, ring.current).split('.');
    const ct = Buffer.from(parts[3], 'base64url');
    ct[at < 0 ? ct.length + at : at] ^= 0x01;
    parts[3] = ct.toString('base64url');
    expect(openSession(parts.join('.'), ring, NOW)).toEqual({ ok: false, reason: 'session_tampered' });
  });

  it('refuses a flipped IV and a truncated ciphertext', () => {
    const ring = keyring();
    const parts = sealSession(session, ring.current).split('.');
    const iv = Buffer.from(parts[2], 'base64url');
    iv[0] ^= 0x80;
    expect(
      openSession([parts[0], parts[1], iv.toString('base64url'), parts[3]].join('.'), ring, NOW),
    ).toEqual({
      ok: false,
      reason: 'session_tampered',
    });
    expect(openSession([...parts.slice(0, 3), parts[3].slice(0, -8)].join('.'), ring, NOW)).toEqual({
      ok: false,
      reason: 'session_tampered',
    });
  });

  it.each([
    ['', 'empty'],
    ['v1.k1.abc', 'three parts'],
    ['v2.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'unknown version'],
    ['v1.k!1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'bad key id'],
    ['v1.k1.AAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'short IV'],
    ['v1.k1.AAAAAAAAAAAAAAAA.AAAA', 'ciphertext shorter than the tag'],
    ['v1.k1.AAAAAAAAAAAAAAAA.AA+A/AAAAAAAAAAAAAAAAAAAAAAAA', 'not base64url'],
  ])('refuses the malformed envelope %j (%s)', (envelope) => {
    expect(openSession(envelope, keyring(), NOW)).toEqual({ ok: false, reason: 'session_malformed' });
  });

  it('refuses an expired session, and accepts it one second before', () => {
    const ring = keyring();
    const envelope = sealSession(session, ring.current);
    expect(openSession(envelope, ring, session.expiresAt)).toEqual({ ok: false, reason: 'session_expired' });
    expect(openSession(envelope, ring, session.expiresAt - 1)).toMatchObject({ ok: true });
  });

  it('refuses authentic content of the wrong shape', () => {
    const ring = keyring();
    const bogus = sealSession({ ...session, accessToken: '' } as SessionData, ring.current);
    expect(openSession(bogus, ring, NOW)).toEqual({ ok: false, reason: 'session_malformed' });
  });
});

describe('session cookies', () => {
  it('sets one HttpOnly, Secure, SameSite=Lax cookie with a Max-Age when the session is small, and clears stale chunks', () => {
    const ring = keyring();
    const cookies = sessionSetCookies('__Host-keygate_session', sealSession(session, ring.current), {
      maxAgeSeconds: 1800,
    });
    expect(cookies[0]).toMatch(/^__Host-keygate_session=1~v1\.k1\./);
    expect(cookies[0]).toMatch(/; Path=\/; Max-Age=1800; HttpOnly; Secure; SameSite=Lax$/);
    expect(cookies.slice(1)).toEqual(
      Array.from({ length: MAX_CHUNKS - 1 }, (_, i) =>
        expect.stringMatching(new RegExp(`^__Host-keygate_session-${i + 1}=; .*Max-Age=0`)),
      ),
    );
    const back = reassembleSession(jar(cookies), '__Host-keygate_session');
    expect(back.ok && openSession(back.envelope, ring, NOW)).toMatchObject({ ok: true, session });
  });

  it('chunks a large token set across cookies, each under 4 KB, and reassembles it', () => {
    const ring = keyring();
    // Random tokens do not compress: a realistic worst case for a Keycloak token set with many roles.
    const big = {
      ...session,
      accessToken: randomBytes(4000).toString('base64url'),
      idToken: randomBytes(2500).toString('base64url'),
    };
    const envelope = sealSession(big, ring.current);
    const cookies = sessionSetCookies('__Host-keygate_session', envelope, { maxAgeSeconds: 600 });
    const live = cookies.filter((c) => !/Max-Age=0/.test(c));
    expect(live.length).toBe(Math.ceil(envelope.length / CHUNK_CHARS));
    expect(live.length).toBeGreaterThan(1);
    for (const c of live) expect(Buffer.byteLength(c.split(';')[0])).toBeLessThan(4096);
    const back = reassembleSession(jar(cookies), '__Host-keygate_session');
    expect(back.ok && openSession(back.envelope, ring, NOW)).toMatchObject({ ok: true, session: big });
  });

  it('refuses a chunked session with a missing chunk, and one with chunks from two sessions', () => {
    const ring = keyring();
    const a = sessionSetCookies(
      's',
      sealSession({ ...session, accessToken: randomBytes(6000).toString('base64url') }, ring.current),
      {
        maxAgeSeconds: 60,
      },
    );
    const b = sessionSetCookies(
      's',
      sealSession({ ...session, accessToken: randomBytes(6000).toString('base64url') }, ring.current),
      {
        maxAgeSeconds: 60,
      },
    );
    const missing = jar(a);
    missing.delete('s-1');
    expect(reassembleSession(missing, 's')).toEqual({ ok: false, reason: 'session_malformed' });
    const mixed = jar(a);
    mixed.set('s-1', jar(b).get('s-1')!);
    const back = reassembleSession(mixed, 's');
    expect(back.ok && openSession(back.envelope, ring, NOW)).toEqual({
      ok: false,
      reason: 'session_tampered',
    });
  });

  it.each([
    ['0~abc', 'zero chunks'],
    ['9~abc', 'more chunks than allowed'],
    ['abc', 'no chunk count'],
  ])('refuses the first cookie %j (%s)', (value) => {
    expect(reassembleSession(new Map([['s', value]]), 's')).toEqual({
      ok: false,
      reason: 'session_malformed',
    });
  });

  it('reports an absent session separately from a malformed one', () => {
    expect(reassembleSession(new Map(), 's')).toEqual({ ok: false, reason: 'session_absent' });
  });

  it('refuses to write a session larger than the cookie budget', () => {
    expect(() =>
      sessionSetCookies('s', 'x'.repeat(CHUNK_CHARS * MAX_CHUNKS + 1), { maxAgeSeconds: 1 }),
    ).toThrow(`session of ${CHUNK_CHARS * MAX_CHUNKS + 1} characters exceeds ${MAX_CHUNKS} cookies`);
  });

  it('clears every chunk with matching flags', () => {
    const cleared = clearSessionCookies('s');
    expect(cleared).toHaveLength(MAX_CHUNKS);
    for (const c of cleared)
      expect(c).toMatch(
        /^s(-\d)?=; Path=\/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax$/,
      );
  });
});

describe('keyring secret', () => {
  it.each([
    ['not json', 'cookie key secret is not JSON'],
    ['[]', 'cookie key secret must be a JSON object'],
    [
      '{"k1":"' + 'a'.repeat(40) + '"}',
      'cookie key secret: current must name a key id of letters, digits, _ or -',
    ],
    [
      '{"current":"k2","k1":"' + 'a'.repeat(40) + '"}',
      'cookie key secret: current key k2 is not in the secret',
    ],
    ['{"current":"k1","k1":"short"}', 'cookie key secret: key k1 must be a string of at least 32 characters'],
    ['{"current":"k1","k 1":"' + 'a'.repeat(40) + '"}', "cookie key secret: key id 'k 1' is invalid"],
  ])('refuses %j', (secret, message) => {
    expect(() => parseKeyring(secret)).toThrow(message);
  });

  it('never puts key material into an error message', () => {
    const material = 'm'.repeat(20);
    expect(() => parseKeyring(JSON.stringify({ current: 'k1', k1: material }))).toThrow(/^((?!mmmm).)*$/);
  });

  it('derives distinct keys per purpose and per id from the same material', () => {
    const ring = parseKeyring(JSON.stringify({ current: 'a', a: 'x'.repeat(40), b: 'x'.repeat(40) }));
    const a = ring.byId.get('a')!;
    const b = ring.byId.get('b')!;
    expect(a.sessionKey.equals(a.stateKey)).toBe(false);
    expect(a.sessionKey.equals(b.sessionKey)).toBe(false);
    expect(a.sessionKey).toHaveLength(32);
  });

  it('parses the secret shape the construct generates', () => {
    expect(parseKeyring(keyringSecret('k1', ['k1', 'k0'])).current.id).toBe('k1');
  });
});
