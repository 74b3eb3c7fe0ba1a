/**
 * Finds exactly one bearer token in the request: the configured header (default `Authorization`, name
 * without case), and, when configured, a named cookie or query parameter. Two tokens anywhere are
 * ambiguous and refused: a caller must never be able to choose which of two credentials is judged.
 *
 * The credential's characters are judged once, by inspectToken, which every extracted token goes through
 * before anything else reads it: each JWS segment must be base64url, a stricter rule than RFC 6750's
 * `b64token`, so scanning the whole token here as well would only repeat that work on every request.
 */
import type { TokenSourceConfig } from '../../common/authorizer-config';
import { DEFAULTS } from '../../common/authorizer-config';
import type { AuthRequest } from './parse-event';

export type TokenSource = 'header' | 'cookie' | 'query';

export type ExtractResult =
  | { readonly ok: true; readonly token: string; readonly source: TokenSource }
  | { readonly ok: false; readonly reason: 'token_missing' | 'token_malformed' | 'token_ambiguous' };

/**
 * Largest token accepted, here and by inspect-token.ts: Keycloak access tokens with many roles and groups
 * stay well below it, and API Gateway caps a request's headers at 10 KB (REST) / 10 KB per header (HTTP API).
 */
export const MAX_TOKEN_LENGTH = 8192;

/**
 * `Bearer` or `DPoP` (any case), one or more spaces or tabs, the credentials. A DPoP-bound token travels
 * under the DPoP scheme (RFC 9449 section 7.1); whether it is bound is judged from its `cnf`, never from
 * the scheme, so a bound token sent as Bearer still needs its proof (token-binding.ts).
 */
const BEARER = /^(?:[Bb][Ee][Aa][Rr][Ee][Rr]|[Dd][Pp][Oo][Pp])[ \t]+/;

export interface TokenExtractor {
  (request: AuthRequest): ExtractResult;
}

/** Builds the extractor once per container: the header name is lower-cased here, not per request. */
export function createTokenExtractor(source: TokenSourceConfig | undefined): TokenExtractor {
  const header = (source?.header ?? DEFAULTS.header).toLowerCase();
  const cookie = source?.cookie;
  const query = source?.query;
  return (request) => extract(request, header, cookie, query);
}

/** One-off form of {@link createTokenExtractor}. */
export function extractToken(request: AuthRequest, source?: TokenSourceConfig): ExtractResult {
  return createTokenExtractor(source)(request);
}

type Found =
  { ok: true; token: string; source: TokenSource } | Extract<ExtractResult, { ok: false }> | undefined;

const MISSING: ExtractResult = Object.freeze({ ok: false, reason: 'token_missing' });

function extract(request: AuthRequest, header: string, cookie?: string, query?: string): ExtractResult {
  const inHeader = fromHeader(request.header(header));
  // The default source alone: nothing to weigh it against.
  if (cookie === undefined && query === undefined) return inHeader ?? MISSING;
  const found: Found[] = [inHeader];
  if (cookie !== undefined) found.push(fromCookies(request.cookies(), cookie));
  if (query !== undefined) found.push(fromQuery(request.query(query)));
  let result: Extract<ExtractResult, { ok: true }> | undefined;
  for (const f of found) {
    if (f === undefined) continue;
    if (!f.ok) return f;
    if (result !== undefined) return { ok: false, reason: 'token_ambiguous' };
    result = f;
  }
  return result ?? MISSING;
}

function fromHeader(values: readonly string[] | undefined): Found {
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1) return { ok: false, reason: 'token_ambiguous' };
  const value = values[0].trim();
  if (value.length === 0) return undefined;
  // HTTP APIs join repeated headers with a comma; a JWS never contains one.
  if (value.includes(',')) return { ok: false, reason: 'token_ambiguous' };
  const scheme = BEARER.exec(value);
  if (!scheme) return { ok: false, reason: 'token_malformed' };
  return checked(value.slice(scheme[0].length), 'header');
}

function fromCookies(cookies: readonly string[], name: string): Found {
  let value: string | undefined;
  const prefix = `${name}=`;
  for (const c of cookies) {
    if (!c.startsWith(prefix)) continue;
    if (value !== undefined) return { ok: false, reason: 'token_ambiguous' };
    value = c.slice(prefix.length);
  }
  if (value === undefined || value.length === 0) return undefined;
  return checked(value, 'cookie');
}

function fromQuery(values: readonly string[] | undefined): Found {
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1) return { ok: false, reason: 'token_ambiguous' };
  if (values[0].length === 0) return undefined;
  // HTTP APIs join a repeated query parameter with commas, as they do headers.
  if (values[0].includes(',')) return { ok: false, reason: 'token_ambiguous' };
  return checked(values[0], 'query');
}

/** One credential of a plausible size: a space or tab inside means two of them, or none well formed. */
function checked(token: string, source: TokenSource): Found {
  if (token.length > MAX_TOKEN_LENGTH || token.includes(' ') || token.includes('\t'))
    return { ok: false, reason: 'token_malformed' };
  return { ok: true, token, source };
}
