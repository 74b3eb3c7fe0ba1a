/**
 * DPoP proof verification (RFC 9449 section 4.3), with jose: the proof is a `dpop+jwt` JWS signed with the
 * private key whose public half it embeds (`jwk` header). Checked here, in this order:
 *
 *  1. exactly one `DPoP` header, a compact JWS of bounded size;
 *  2. `typ` is `dpop+jwt`, `alg` is in the allow-list, `jwk` is a public key (no private members), and the
 *     signature verifies with it (jose: jwtVerify with EmbeddedJWK);
 *  3. `jti`, `htm`, `htu`, `iat` and `ath` are present; `iat` is within the max age (and not in the future)
 *     with the clock skew;
 *  4. `htm` is the request's method and `htu` its URL without query and fragment, after RFC 3986 syntax-
 *     and scheme-based normalisation (section 4.3 step 9);
 *  5. `ath` is base64url SHA-256 of the access token (section 4.3 step 11);
 *  6. the token's `cnf.jkt` is the RFC 7638 SHA-256 thumbprint of the proof key (section 6.1).
 *
 * The `jti` is checked once by the caller, against the replay store, after all of this succeeds, so a
 * forged proof never costs a write. Never throws.
 */
import { createHash } from 'node:crypto';
import type { JWK } from 'jose';
import type * as Jose from './dpop-jose';
import type { DpopAlgorithm } from '../../common/token-binding';
import type { ReasonCode } from '../../common/reason-codes';

/** A proof is a small JWS: a P-521 or RSA-4096 key plus the claims stays far below this. */
export const MAX_PROOF_LENGTH = 4096;
/** A jti is a random identifier (RFC 9449 recommends at least 96 bits); longer values are refused. */
export const MAX_JTI_LENGTH = 256;

export interface DpopCheckInput {
  /** Every value of the DPoP header. */
  readonly proofs: readonly string[];
  readonly accessToken: string;
  /** The token's `cnf.jkt` (undefined when the token has none). */
  readonly jkt: string | undefined;
  readonly method: string;
  /** The request URL as the client addressed it (query and fragment are ignored). */
  readonly url: string;
  readonly algorithms: readonly DpopAlgorithm[];
  readonly maxAgeSeconds: number;
  readonly skewSeconds: number;
  /** Epoch seconds. */
  readonly now: number;
}

export type DpopCheck =
  | { readonly ok: true; readonly jti: string; readonly jkt: string; readonly iat: number }
  | { readonly ok: false; readonly reason: ReasonCode; readonly detail?: string };

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** jose, evaluated on the first proof (dpop-jose.ts). */
let jose: Promise<typeof Jose> | undefined;

function fail(reason: ReasonCode, detail?: string): DpopCheck {
  return { ok: false, reason, detail };
}

export async function checkDpopProof(input: DpopCheckInput): Promise<DpopCheck> {
  if (input.jkt === undefined) return fail('dpop_binding_missing');
  // RFC 9449 section 4.3 step 1: not more than one DPoP header. HTTP APIs join repeats with a comma.
  if (input.proofs.length !== 1) return fail('dpop_proof_missing');
  const proof = input.proofs[0].trim();
  if (proof.length === 0) return fail('dpop_proof_missing');
  if (proof.length > MAX_PROOF_LENGTH || !COMPACT_JWS.test(proof)) return fail('dpop_proof_malformed');

  let payload: Record<string, unknown>;
  let header: { jwk?: JWK };
  const { EmbeddedJWK, calculateJwkThumbprint, jwtVerify } = await (jose ??= import('./dpop-jose.js'));
  try {
    const verified = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: [...input.algorithms],
      maxTokenAge: input.maxAgeSeconds,
      clockTolerance: input.skewSeconds,
      currentDate: new Date(input.now * 1000),
      requiredClaims: ['jti', 'htm', 'htu', 'iat', 'ath'],
    });
    payload = verified.payload as Record<string, unknown>;
    header = verified.protectedHeader as { jwk?: JWK };
  } catch (e) {
    return fail(joseReason(e), e instanceof Error ? e.message.slice(0, 200) : undefined);
  }
  const jwk = header.jwk as Record<string, unknown> | undefined;
  // jose refuses a jwk it imports as a private key; a public key padded with private members is refused
  // here too, since the client leaked its private key in that case (section 4.3 step 7).
  if (jwk === undefined || PRIVATE_JWK_MEMBERS.some((m) => m in jwk))
    return fail('dpop_proof_malformed', 'jwk has private members');
  const { jti, htm, htu, ath, iat } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH)
    return fail('dpop_proof_malformed', 'jti');
  if (typeof htm !== 'string' || typeof htu !== 'string' || typeof ath !== 'string')
    return fail('dpop_proof_malformed', 'htm, htu or ath is not a string');
  if (htm !== input.method) return fail('dpop_proof_mismatch', 'htm');
  const expected = normalizeHtu(input.url);
  if (expected === undefined || normalizeHtu(htu) !== expected) return fail('dpop_proof_mismatch', 'htu');
  if (ath !== accessTokenHash(input.accessToken)) return fail('dpop_proof_mismatch', 'ath');
  const thumbprint = await calculateJwkThumbprint(header.jwk as JWK, 'sha256');
  if (thumbprint !== input.jkt) return fail('dpop_key_mismatch');
  return { ok: true, jti, jkt: thumbprint, iat: iat as number };
}

/** RFC 9449 section 4.2: `ath` is base64url of the SHA-256 of the ASCII access token. */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

const PERCENT = /%[0-9a-fA-F]{2}/g;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * `htu` for comparison (RFC 9449 section 4.3 step 9, RFC 3986 sections 6.2.2 and 6.2.3): scheme and host
 * in lower case, the default port dropped, dot segments removed, an empty path as `/` (all by the WHATWG
 * URL parser), percent-encodings in upper case and those of unreserved characters decoded; query and
 * fragment dropped. Undefined for anything but an absolute http(s) URL.
 */
export function normalizeHtu(value: string): string | undefined {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
  if (u.username || u.password) return undefined;
  const path = u.pathname.replace(PERCENT, (p) => {
    const c = String.fromCharCode(parseInt(p.slice(1), 16));
    return UNRESERVED.test(c) ? c : p.toUpperCase();
  });
  return `${u.protocol}//${u.host}${path}`;
}

/** jose's error codes to reason codes; anything unknown is a malformed proof. */
function joseReason(e: unknown): ReasonCode {
  const code = (e as { code?: unknown } | null)?.code;
  const claim = (e as { claim?: unknown } | null)?.claim;
  const why = (e as { reason?: unknown } | null)?.reason;
  switch (code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'dpop_proof_invalid';
    case 'ERR_JWT_EXPIRED':
      return 'dpop_proof_stale';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return why === 'check_failed' && (claim === 'iat' || claim === 'nbf')
        ? 'dpop_proof_stale'
        : 'dpop_proof_malformed';
    default:
      return 'dpop_proof_malformed';
  }
}
