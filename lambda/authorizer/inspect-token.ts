/**
 * Cheap structural checks on an untrusted compact JWS, run before anything touches the network or the
 * signature. Decoding here only routes (which issuer?) and rejects early; the real verification is always
 * done by aws-jwt-verify over the bytes received (Keycloak's header `{"alg":"RS256","typ" : "JWT",...}` is
 * never re-serialised).
 */
import { isUtf8 } from 'node:buffer';
import type { SignatureAlgorithm } from '../../common/authorizer-config';
import { SIGNATURE_ALGORITHMS } from '../../common/authorizer-config';
import { boundScalar } from '../../common/identity-context';
import type { ReasonCode } from '../../common/reason-codes';
import type { TokenFacts } from './types';
import { MAX_TOKEN_LENGTH } from './extract-token';

/** Largest token accepted: the one bound extract-token.ts applies to a presented credential. */
export { MAX_TOKEN_LENGTH };
/** Longest `kid` looked up in a JWKS (Keycloak's are 43 characters; UUIDs 36). */
export const MAX_KID_LENGTH = 256;
/** Longest unverified claim value copied into TokenFacts (they end up in the decision log). */
export const MAX_FACT_LENGTH = 256;

/**
 * Header parameters that would let the token name its own key or key source (RFC 7515 §4.1.2-4.1.6).
 * Keys come only from the trusted issuer's JWKS, so a token carrying any of them is refused outright.
 */
export const FORBIDDEN_HEADER_PARAMS = ['jwk', 'jku', 'x5u', 'x5c'] as const;

export type JsonObject = Record<string, unknown>;

export type InspectResult =
  | {
      readonly ok: true;
      readonly header: JsonObject;
      readonly payload: JsonObject;
      readonly alg: SignatureAlgorithm;
      readonly facts: TokenFacts;
    }
  | { readonly ok: false; readonly reason: ReasonCode; readonly facts: TokenFacts; readonly detail: string };

const SEGMENT = /^[A-Za-z0-9_-]+$/;
// A kid is only ever a lookup key; printable ASCII without spaces covers every IdP we know of.
const KID = /^[\x21-\x7e]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const SUPPORTED: ReadonlySet<string> = new Set(SIGNATURE_ALGORITHMS);
const ECDSA_SIGNATURE_LENGTH: Readonly<Record<string, number>> = { ES256: 64, ES384: 96, ES512: 132 };

/** Structural pre-checks; never throws. */
export function inspectToken(token: unknown): InspectResult {
  const facts: { -readonly [K in keyof TokenFacts]: TokenFacts[K] } = {};
  const fail = (reason: ReasonCode, detail: string): InspectResult => ({ ok: false, reason, facts, detail });

  if (typeof token !== 'string' || token.length === 0) return fail('token_malformed', 'token is empty');
  if (token.length > MAX_TOKEN_LENGTH)
    return fail('token_malformed', `token longer than ${MAX_TOKEN_LENGTH}`);
  const parts = token.split('.');
  if (parts.length !== 3) return fail('token_malformed', `token has ${parts.length} segments, expected 3`);
  const [headerB64, payloadB64, signatureB64] = parts;
  if (!isBase64Url(headerB64)) return fail('token_malformed', 'segment is not base64url');
  const header = decodeJsonObject(headerB64);
  if (!header) return fail('token_malformed', 'header is not a base64url JSON object');
  if (!isBase64Url(payloadB64)) return fail('token_malformed', 'segment is not base64url');
  const payload = decodeJsonObject(payloadB64);
  if (!payload) return fail('token_malformed', 'payload is not a base64url JSON object');

  Object.assign(facts, tokenFacts(header, payload));

  const refused =
    headerRefusal(header) ?? signatureRefusal(header.alg as string, signatureB64, isBase64Url(signatureB64));
  if (refused !== undefined) return fail(refused.reason, refused.detail);

  const claims = checkRegisteredClaims(payload);
  if (claims !== undefined) return fail(claims.reason, claims.detail);
  // The received segments are never re-encoded: aws-jwt-verify verifies the signature over the bytes received.
  return { ok: true, header, payload, alg: header.alg as SignatureAlgorithm, facts };
}

/**
 * The checks of inspectToken that read no claim, on a token aws-jwt-verify has accepted: the header, the
 * signature's encoding and the payload's UTF-8. For the one-issuer path of verify-token.ts, which leaves the
 * payload to the library (it parses it anyway, and checks the same claim types and the issuer) instead of
 * parsing it twice. The library's parser (decomposeUnverifiedJwt) has already required three segments of
 * base64url characters with at most two `=` each, so what strict unpadded base64url adds is checked here
 * without reading every character again: no `=`, and no segment of a length that no encoding has. Only the
 * outcome is given: a token failing here is judged again by inspectToken, which names the reason.
 */
export function inspectAcceptedShape(
  token: string,
): { readonly header: JsonObject; readonly alg: SignatureAlgorithm } | undefined {
  const h = token.indexOf('.');
  const p = token.indexOf('.', h + 1);
  if (token.length > MAX_TOKEN_LENGTH || token.includes('=') || h < 0 || p < 0) return undefined;
  if (h % 4 === 1 || (p - h - 1) % 4 === 1 || (token.length - p - 1) % 4 === 1) return undefined;
  const header = decodeJsonObject(token.slice(0, h));
  if (!header || headerRefusal(header) || signatureRefusal(header.alg as string, token.slice(p + 1), true))
    return undefined;
  // inspectToken decodes strictly; aws-jwt-verify would replace bad bytes instead.
  if (!isUtf8(Buffer.from(token.slice(h + 1, p), 'base64url'))) return undefined;
  return { header, alg: header.alg as SignatureAlgorithm };
}

type Refusal = { reason: ReasonCode; detail: string } | undefined;

/** The header's checks, in the order their reasons take precedence (before the signature's). */
function headerRefusal(header: JsonObject): Refusal {
  // `none`, `NONE`, `None`, HS*, PS* and anything else outside the supported set.
  const alg = header.alg;
  if (typeof alg !== 'string' || !SUPPORTED.has(alg))
    return { reason: 'alg_not_allowed', detail: 'header alg is not supported' };
  for (const param of FORBIDDEN_HEADER_PARAMS) {
    if (Object.hasOwn(header, param))
      return { reason: 'header_forbidden', detail: `header carries ${param}` };
  }
  // RFC 7515 §4.1.11: a recipient that does not understand a listed extension must reject. We know none.
  if (Object.hasOwn(header, 'crit')) return { reason: 'header_forbidden', detail: 'header carries crit' };
  const kid = header.kid;
  if (typeof kid !== 'string' || kid.length > MAX_KID_LENGTH || !KID.test(kid)) {
    // Such a kid cannot name a key of any JWKS: refuse without a lookup (and without a refetch).
    return { reason: 'kid_unknown', detail: 'header kid is missing or not a plausible key id' };
  }
  return undefined;
}

/**
 * The signature segment's checks, after the header's (so `alg: none` with the usual empty signature
 * reports alg_not_allowed). @param base64url whether the segment is unpadded base64url (isBase64Url)
 */
function signatureRefusal(alg: string, signatureB64: string, base64url: boolean): Refusal {
  if (!base64url) return { reason: 'token_malformed', detail: 'signature is not base64url' };
  // The unused low bits of the last character must be zero: otherwise several strings decode to the same
  // signature, and a re-encoded copy of a valid token would verify as a different token.
  if (!canonicalTail(signatureB64))
    return { reason: 'token_malformed', detail: 'signature is not canonical base64url' };
  // An ECDSA JWS signature is R || S of a fixed size (RFC 7518 §3.4); Node throws on any other length.
  const ecLength = ECDSA_SIGNATURE_LENGTH[alg];
  if (ecLength !== undefined && decodedLength(signatureB64) !== ecLength) {
    return { reason: 'signature_invalid', detail: 'ECDSA signature has the wrong length' };
  }
  return undefined;
}

/** The types of the registered claims aws-jwt-verify's own decoder checks, and of `scope`. */
function checkRegisteredClaims(payload: JsonObject): { reason: ReasonCode; detail: string } | undefined {
  for (const c of ['exp', 'nbf', 'iat'] as const) {
    if (payload[c] !== undefined && !Number.isFinite(payload[c]))
      return { reason: 'claim_missing', detail: `${c} is not a number` };
  }
  for (const c of ['sub', 'jti'] as const) {
    if (payload[c] !== undefined && typeof payload[c] !== 'string')
      return { reason: 'claim_missing', detail: `${c} is not a string` };
  }
  const aud = payload.aud;
  if (
    aud !== undefined &&
    typeof aud !== 'string' &&
    !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))
  ) {
    return { reason: 'claim_missing', detail: 'aud is not a string or a list of strings' };
  }
  if (payload.scope !== undefined && typeof payload.scope !== 'string') {
    return { reason: 'claims_malformed', detail: 'scope is not a string' };
  }
  return undefined;
}

/** Unpadded base64url (RFC 7515 §2); such a string never has a length of 1 mod 4. */
function isBase64Url(segment: string): boolean {
  return segment.length % 4 !== 1 && SEGMENT.test(segment);
}

/** Bytes an unpadded base64url string of valid length decodes to (RFC 4648 §5: 3 bytes per 4 characters). */
function decodedLength(segment: string): number {
  return Math.floor((segment.length * 3) / 4);
}

/**
 * Whether the last character of an unpadded base64url string (checked by isBase64Url) leaves its unused
 * bits zero, as the one canonical encoding of the bytes does: with 2 characters in the last group 4 bits
 * are unused, with 3 characters 2 bits (RFC 4648 §3.5).
 */
function canonicalTail(segment: string): boolean {
  const rest = segment.length % 4;
  if (rest === 0) return true;
  const value = BASE64URL_VALUE.indexOf(segment[segment.length - 1]);
  return (value & (rest === 2 ? 0x0f : 0x03)) === 0;
}

const BASE64URL_VALUE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function decodeJsonObject(segment: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(utf8.decode(Buffer.from(segment, 'base64url')));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as JsonObject)
      : undefined;
  } catch {
    return undefined;
  }
}

/** What the decision log may say of a token: its header's alg and kid, its issuer, subject and client. */
export function tokenFacts(header: JsonObject, payload: Readonly<Record<string, unknown>>): TokenFacts {
  return {
    alg: fact(header.alg),
    kid: fact(header.kid),
    iss: fact(payload.iss),
    sub: fact(payload.sub),
    azp: fact(payload.azp ?? payload.client_id),
  };
}

function fact(value: unknown): string | undefined {
  return typeof value === 'string' ? boundScalar(value, MAX_FACT_LENGTH) : undefined;
}
