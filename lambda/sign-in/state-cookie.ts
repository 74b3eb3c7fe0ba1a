/**
 * The login state cookie: `state`, `nonce`, the PKCE verifier and the `returnTo` path, between /auth/login
 * and /auth/callback. Short-lived, HMAC-SHA256-signed with the keyring (node:crypto), HttpOnly, Secure,
 * SameSite=Lax (Lax so it is sent on the identity provider's top-level GET redirect back to the callback).
 * Value: `<keyId>.<base64url JSON>.<base64url HMAC>`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SessionKeyring, DerivedKey } from '../../common/session/session-keys';
import { KEY_ID } from '../../common/session/session-keys';

export interface LoginState {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly returnTo: string;
  /** Seconds since the epoch after which the callback is refused. */
  readonly expiresAt: number;
}

/** @default lifetime of a login attempt */
export const STATE_TTL_SECONDS = 600;
const MAX_STATE_COOKIE = 4000;
const B64URL = /^[A-Za-z0-9_-]+$/;

function mac(key: DerivedKey, payload: string): Buffer {
  return createHmac('sha256', key.stateKey).update(`keygate-state.${key.id}.${payload}`).digest();
}

export function signState(state: LoginState, key: DerivedKey): string {
  const payload = Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');
  return `${key.id}.${payload}.${mac(key, payload).toString('base64url')}`;
}

export type StateResult =
  | { readonly ok: true; readonly state: LoginState }
  | { readonly ok: false; readonly reason: 'state_invalid' | 'state_expired' };

export function verifyState(value: string, keyring: SessionKeyring, nowSeconds: number): StateResult {
  if (value.length > MAX_STATE_COOKIE) return { ok: false, reason: 'state_invalid' };
  const parts = value.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'state_invalid' };
  const [keyId, payload, sig] = parts;
  if (!KEY_ID.test(keyId) || !B64URL.test(payload) || !B64URL.test(sig))
    return { ok: false, reason: 'state_invalid' };
  const key = keyring.byId.get(keyId);
  if (!key) return { ok: false, reason: 'state_invalid' };
  const expected = mac(key, payload);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'state_invalid' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'state_invalid' };
  }
  const s = parsed as Record<string, unknown>;
  if (
    typeof s !== 'object' ||
    s === null ||
    typeof s.state !== 'string' ||
    typeof s.nonce !== 'string' ||
    typeof s.codeVerifier !== 'string' ||
    typeof s.returnTo !== 'string' ||
    typeof s.expiresAt !== 'number'
  ) {
    return { ok: false, reason: 'state_invalid' };
  }
  if (s.expiresAt <= nowSeconds) return { ok: false, reason: 'state_expired' };
  return { ok: true, state: s as unknown as LoginState };
}

/** Constant-time comparison of the `state` query parameter with the cookie's. */
export function sameState(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
