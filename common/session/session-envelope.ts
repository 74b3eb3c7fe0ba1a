/**
 * The encrypted session: the token set sealed with AES-256-GCM (node:crypto) under the keyring's current
 * key, split across cookies when it outgrows one. Shared by the sign-in function (seal, open, refresh) and
 * the authorizer (open only). Pure apart from random IVs.
 *
 * Envelope: `v1.<keyId>.<iv>.<ciphertext+tag>` (base64url). The key id travels in clear so rotated keys keep
 * opening older sessions; it is also bound into the additional authenticated data, so swapping it breaks the
 * tag. The plaintext is deflated JSON: the tokens are issued by the identity provider and carry nothing an
 * attacker chooses, so compressing before encrypting leaks nothing useful, and it keeps the Cookie header
 * inside API Gateway's 10 KB request-header quota.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type * as Zlib from 'node:zlib';

// node:zlib is loaded on first use: the authorizer bundles this module but most authorizers never open a
// session, and the import measurably lengthens every cold start (scripts/bench.ts, load time).
let zlib: typeof Zlib | undefined;
function zlibModule(): typeof Zlib {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  zlib ??= require('node:zlib') as typeof Zlib;
  return zlib;
}
import type { SessionReason } from '../reason-codes';
import type { DerivedKey, SessionKeyring } from './session-keys';
import { KEY_ID } from './session-keys';
import { clearCookie, serializeCookie } from './cookies';

/** The sealed session would need more than MAX_CHUNKS cookies. */
export class SessionTooLargeError extends Error {}

/** What a session holds. Seconds since the epoch. */
export interface SessionData {
  /** Access token, verified by the authorizer exactly like a bearer token. */
  readonly accessToken: string;
  readonly refreshToken?: string;
  /** Kept for `id_token_hint` at logout. */
  readonly idToken?: string;
  /** When the access token expires (from the token response's `expires_in`). */
  readonly accessExpiresAt: number;
  /** When the session itself ends (refresh token lifetime, capped by the configured maximum). */
  readonly expiresAt: number;
  readonly issuedAt: number;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Characters of envelope per cookie: below the 4096-byte per-cookie minimum of RFC 6265 §6.1 with room for the name. */
export const CHUNK_CHARS = 3800;
/** Never more cookies than this: API Gateway rejects request headers over 10 KB in total anyway. */
export const MAX_CHUNKS = 4;
const MAX_PLAINTEXT = 64 * 1024;
const B64URL = /^[A-Za-z0-9_-]+$/;

function aad(keyId: string): Buffer {
  return Buffer.from(`keygate-session.${VERSION}.${keyId}`, 'utf8');
}

export function sealSession(data: SessionData, key: DerivedKey): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.sessionKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(key.id));
  const plaintext = zlibModule().deflateRawSync(Buffer.from(JSON.stringify(data), 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${key.id}.${iv.toString('base64url')}.${ct.toString('base64url')}`;
}

export type OpenResult =
  | { readonly ok: true; readonly session: SessionData; readonly keyId: string }
  | { readonly ok: false; readonly reason: SessionReason };

/** Opens an envelope: malformed, unknown key, tampered (tag fails) and expired sessions are refused. */
export function openSession(envelope: string, keyring: SessionKeyring, nowSeconds: number): OpenResult {
  const parts = envelope.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) return { ok: false, reason: 'session_malformed' };
  const [, keyId, ivText, ctText] = parts;
  if (!KEY_ID.test(keyId) || !B64URL.test(ivText) || !B64URL.test(ctText)) {
    return { ok: false, reason: 'session_malformed' };
  }
  const key = keyring.byId.get(keyId);
  if (!key) return { ok: false, reason: 'session_key_unknown' };
  const iv = Buffer.from(ivText, 'base64url');
  const ct = Buffer.from(ctText, 'base64url');
  if (iv.length !== IV_BYTES || ct.length <= TAG_BYTES) return { ok: false, reason: 'session_malformed' };
  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.sessionKey, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(keyId));
    decipher.setAuthTag(ct.subarray(ct.length - TAG_BYTES));
    plaintext = Buffer.concat([decipher.update(ct.subarray(0, ct.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return { ok: false, reason: 'session_tampered' };
  }
  let session: unknown;
  try {
    session = JSON.parse(
      zlibModule().inflateRawSync(plaintext, { maxOutputLength: MAX_PLAINTEXT }).toString('utf8'),
    );
  } catch {
    return { ok: false, reason: 'session_malformed' };
  }
  if (!isSessionData(session)) return { ok: false, reason: 'session_malformed' };
  if (session.expiresAt <= nowSeconds) return { ok: false, reason: 'session_expired' };
  return { ok: true, session, keyId };
}

function isSessionData(v: unknown): v is SessionData {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  const optionalString = (x: unknown) => x === undefined || (typeof x === 'string' && x.length > 0);
  return (
    typeof s.accessToken === 'string' &&
    s.accessToken.length > 0 &&
    optionalString(s.refreshToken) &&
    optionalString(s.idToken) &&
    Number.isFinite(s.accessExpiresAt) &&
    Number.isFinite(s.expiresAt) &&
    Number.isFinite(s.issuedAt)
  );
}

/** Name of the n-th chunk cookie (0 is the base name). */
export function chunkName(base: string, n: number): string {
  return n === 0 ? base : `${base}-${n}`;
}

export interface SessionCookieOptions {
  readonly maxAgeSeconds: number;
  /** @default true; false only for plain-http local development */
  readonly secure?: boolean;
}

/**
 * Set-Cookie headers carrying an envelope: `<base>=<count>~<part0>`, `<base>-1=<part1>`, ... Chunks a
 * previous, larger session left behind are deleted in the same response. Throws if the envelope cannot
 * fit in MAX_CHUNKS (a session that large would be rejected by API Gateway's header quota).
 */
export function sessionSetCookies(base: string, envelope: string, opts: SessionCookieOptions): string[] {
  const parts: string[] = [];
  for (let i = 0; i < envelope.length; i += CHUNK_CHARS) parts.push(envelope.slice(i, i + CHUNK_CHARS));
  if (parts.length > MAX_CHUNKS)
    throw new SessionTooLargeError(`session of ${envelope.length} characters exceeds ${MAX_CHUNKS} cookies`);
  const flags = {
    maxAge: opts.maxAgeSeconds,
    secure: opts.secure ?? true,
    httpOnly: true,
    sameSite: 'Lax' as const,
  };
  const out = parts.map((p, i) =>
    serializeCookie(chunkName(base, i), i === 0 ? `${parts.length}~${p}` : p, flags),
  );
  for (let i = parts.length; i < MAX_CHUNKS; i++) {
    out.push(clearCookie(chunkName(base, i), { secure: opts.secure ?? true }));
  }
  return out;
}

/** Set-Cookie headers that delete every chunk of the session. */
export function clearSessionCookies(base: string, opts: { secure?: boolean } = {}): string[] {
  const out: string[] = [];
  for (let i = 0; i < MAX_CHUNKS; i++)
    out.push(clearCookie(chunkName(base, i), { secure: opts.secure ?? true }));
  return out;
}

export type ReassembleResult =
  | { readonly ok: true; readonly envelope: string }
  | { readonly ok: false; readonly reason: 'session_absent' | 'session_malformed' };

/** Cookies by name, with the names that arrived more than once (parseCookies' RequestCookies). */
export type SessionCookies = ReadonlyMap<string, string> & { readonly repeated?: ReadonlySet<string> };

/**
 * Reassembles the envelope from the request's cookies; a missing or surplus chunk count is malformed, and
 * so is a session or chunk cookie that arrived twice: which of two sessions to open is not the browser's
 * order to decide (a sibling subdomain, or a longer Path, can add a cookie of the same name that the
 * browser then sends first), so neither is opened.
 */
export function reassembleSession(cookies: SessionCookies, base: string): ReassembleResult {
  const repeated = cookies.repeated;
  const first = cookies.get(base);
  if (repeated?.has(base)) return { ok: false, reason: 'session_malformed' };
  if (first === undefined || first === '') return { ok: false, reason: 'session_absent' };
  const m = /^([1-9])~(.+)$/.exec(first);
  if (!m) return { ok: false, reason: 'session_malformed' };
  const count = Number(m[1]);
  if (count > MAX_CHUNKS) return { ok: false, reason: 'session_malformed' };
  let envelope = m[2];
  for (let i = 1; i < count; i++) {
    const name = chunkName(base, i);
    const part = cookies.get(name);
    if (!part || repeated?.has(name)) return { ok: false, reason: 'session_malformed' };
    envelope += part;
  }
  return { ok: true, envelope };
}
