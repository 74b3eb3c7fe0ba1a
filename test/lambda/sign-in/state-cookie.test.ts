import { describe, expect, it } from 'vitest';
import { parseKeyring } from '../../../common/session/session-keys';
import type { LoginState } from '../../../lambda/sign-in/state-cookie';
import { sameState, signState, verifyState } from '../../../lambda/sign-in/state-cookie';
import { keyring } from './support';

const NOW = 1_800_000_000;
const login: LoginState = {
  state: 's'.repeat(43),
  nonce: 'n'.repeat(43),
  codeVerifier: 'v'.repeat(43),
  returnTo: '/me',
  expiresAt: NOW + 600,
};

describe('login state cookie', () => {
  it('verifies what it signed', () => {
    const ring = keyring();
    expect(verifyState(signState(login, ring.current), ring, NOW)).toEqual({ ok: true, state: login });
  });

  it('refuses it once expired', () => {
    const ring = keyring();
    expect(verifyState(signState(login, ring.current), ring, login.expiresAt)).toEqual({
      ok: false,
      reason: 'state_expired',
    });
  });

  it('refuses a payload changed after signing (e.g. a returnTo rewritten to another site)', () => {
    const ring = keyring();
    const [kid, , sig] = signState(login, ring.current).split('.');
    const forged = Buffer.from(JSON.stringify({ ...login, returnTo: '//evil.example' })).toString(
      'base64url',
    );
    expect(verifyState(`${kid}.${forged}.${sig}`, ring, NOW)).toEqual({ ok: false, reason: 'state_invalid' });
  });

  it('refuses a cookie signed with another secret, or a key id the keyring lacks', () => {
    const ring = keyring('k1');
    expect(verifyState(signState(login, keyring('k1').current), ring, NOW)).toEqual({
      ok: false,
      reason: 'state_invalid',
    });
    expect(verifyState(signState(login, keyring('k9').current), ring, NOW)).toEqual({
      ok: false,
      reason: 'state_invalid',
    });
  });

  it('accepts a cookie signed with a previous key still in the keyring', () => {
    const old = parseKeyring(JSON.stringify({ current: 'a', a: 'x'.repeat(40) }));
    const rotated = parseKeyring(JSON.stringify({ current: 'b', a: 'x'.repeat(40), b: 'y'.repeat(40) }));
    expect(verifyState(signState(login, old.current), rotated, NOW)).toMatchObject({ ok: true });
  });

  it.each([
    ['', 'empty'],
    ['k1.abc', 'two parts'],
    ['k1.a.b.c', 'four parts'],
    ['k1.e30.' + 'A'.repeat(43), 'valid shape, wrong MAC'],
    ['k1.' + 'A'.repeat(5000) + '.x', 'oversized'],
  ])('refuses %j (%s)', (value) => {
    expect(verifyState(value, keyring(), NOW)).toEqual({ ok: false, reason: 'state_invalid' });
  });

  it('refuses a correctly signed payload of the wrong shape', () => {
    const ring = keyring();
    const value = signState({ ...login, nonce: 5 } as unknown as LoginState, ring.current);
    expect(verifyState(value, ring, NOW)).toEqual({ ok: false, reason: 'state_invalid' });
  });

  it.each([
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['abc', 'abcd', false],
    ['', 'a', false],
  ])('sameState(%j, %j) is %s', (a, b, expected) => {
    expect(sameState(a, b)).toBe(expected);
  });
});
