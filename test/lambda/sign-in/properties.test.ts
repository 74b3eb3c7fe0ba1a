/**
 * Properties over arbitrary input (fast-check): no returnTo ever leaves the site, and no altered session
 * cookie or state cookie is ever accepted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sessionAccessToken } from '../../../lambda/authorizer/session-cookie';
import { safeReturnTo } from '../../../common/session/return-to';
import type { SessionData } from '../../../common/session/session-envelope';
import { openSession, sealSession } from '../../../common/session/session-envelope';
import { signState, verifyState } from '../../../lambda/sign-in/state-cookie';
import { keyring } from './support';

const NOW = 1_800_000_000;
const data: SessionData = {
  accessToken: 'h.p.s',
  refreshToken: 'r',
  idToken: 'i.d.t',
  accessExpiresAt: NOW + 60,
  expiresAt: NOW + 600,
  issuedAt: NOW,
};
const ring = keyring();
const envelope = sealSession(data, ring.current);
const state = signState(
  { state: 's', nonce: 'n', codeVerifier: 'v', returnTo: '/', expiresAt: NOW + 60 },
  ring.current,
);

/** Strings built from the characters that matter for URLs, plus anything. */
const urlish = fc.oneof(
  fc.string(),
  fc
    .array(
      fc.constantFrom(
        '/',
        '\\',
        '%',
        '2',
        'F',
        '5',
        'C',
        '0',
        '9',
        ':',
        '.',
        '@',
        '?',
        '#',
        'e',
        'v',
        'l',
        '\t',
        '\n',
        ' ',
        'h',
        't',
        'p',
        's',
      ),
      {
        maxLength: 24,
      },
    )
    .map((cs) => cs.join('')),
);

describe('properties', () => {
  it('an accepted returnTo always resolves to this site, whatever base it is resolved against', () => {
    fc.assert(
      fc.property(urlish, (value) => {
        const safe = safeReturnTo(value);
        if (safe === undefined) return;
        for (const base of ['https://api.example.com/prod/', 'https://api.example.com']) {
          expect(new URL(safe, base).origin).toBe('https://api.example.com');
          // Browsers drop tabs and newlines before parsing; nothing may be left to drop.
          expect(safe).not.toMatch(/[\t\n\r\\]/);
          expect(decodeURIComponent(safe).startsWith('//')).toBe(false);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('any change to a session envelope is refused, never opened as another session', () => {
    fc.assert(
      fc.property(fc.nat(envelope.length - 1), fc.constantFrom(...'ABCabc019-_.~x'), (at, ch) => {
        fc.pre(envelope[at] !== ch);
        const altered = envelope.slice(0, at) + ch + envelope.slice(at + 1);
        const opened = openSession(altered, ring, NOW);
        // A change in the last base64url character may only flip padding bits: then it decodes to the same
        // bytes and is the same session. Anything else must be refused.
        if (opened.ok) expect(opened.session).toEqual(data);
      }),
      { numRuns: 2000 },
    );
  });

  it('arbitrary cookie headers never yield a token', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 4 }), (headers) => {
        const r = sessionAccessToken(headers, '__Host-keygate_session', ring, NOW);
        expect(r.kind).not.toBe('token');
      }),
      { numRuns: 2000 },
    );
  });

  it('any change to a state cookie is refused', () => {
    fc.assert(
      fc.property(fc.nat(state.length - 1), fc.constantFrom(...'ABCabc019-_.x'), (at, ch) => {
        fc.pre(state[at] !== ch);
        const r = verifyState(state.slice(0, at) + ch + state.slice(at + 1), ring, NOW);
        if (r.ok)
          expect(r.state).toEqual({
            state: 's',
            nonce: 'n',
            codeVerifier: 'v',
            returnTo: '/',
            expiresAt: NOW + 60,
          });
      }),
      { numRuns: 2000 },
    );
  });
});
