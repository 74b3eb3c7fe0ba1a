/**
 * The back-channel logout endpoint (OpenID Connect Back-Channel Logout 1.0, section 2.5-2.8) as a pure
 * core over a plain request: the issuer POSTs `logout_token=<JWT>` as a form; a valid token's session
 * (`sid`), or when it names none its subject (`sub`), goes onto the revocation list, which the authorizer
 * reads (lambda/authorizer/revocation-check.ts). Answers 200 on success and 400 with a JSON error
 * otherwise, never cached (Cache-Control: no-store, section 2.8). Never throws.
 */
import type { BackChannelLogoutConfig, LogoutRejection } from '../../common/back-channel-logout';
import { REVOCATION_DEFAULTS, logoutJtiKey, revocationKey } from '../../common/revocation';
import { LOGOUT_REJECTIONS, MAX_LOGOUT_REQUEST_BYTES } from '../../common/back-channel-logout';
import type { RevocationEntry, RevocationStore } from '../revocation/revocation-store';
import type { LogoutClaims, LogoutTokenVerifier } from './logout-token';

/** The request as the endpoint needs it (the AWS event is converted at the edge, index.ts). */
export interface LogoutRequest {
  readonly method: string;
  /** The Content-Type header, if any. */
  readonly contentType?: string;
  /** The raw body bytes. */
  readonly body: Buffer;
}

export interface LogoutResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** One log line per request: never the token, only what it named. */
export interface LogoutLogLine {
  readonly outcome: 'revoked' | 'refused';
  readonly reason?: LogoutRejection;
  readonly iss?: string;
  readonly kind?: 'sid' | 'sub';
}

export interface LogoutHandlerDeps {
  readonly config: BackChannelLogoutConfig;
  readonly verifier: LogoutTokenVerifier;
  readonly store: RevocationStore;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** @default one JSON line on stdout */
  readonly log?: (line: LogoutLogLine) => void;
}

export type LogoutHandler = (request: LogoutRequest) => Promise<LogoutResponse>;

const HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } as const;

export function createLogoutHandler(deps: LogoutHandlerDeps): LogoutHandler {
  const now = deps.now ?? Date.now;
  const log =
    deps.log ?? ((line: LogoutLogLine) => void process.stdout.write(`${JSON.stringify({ logout: line })}\n`));
  const retention = deps.config.retentionSeconds ?? REVOCATION_DEFAULTS.retentionSeconds;
  const skew = deps.config.clockSkewSeconds ?? 30;

  const refuse = (reason: LogoutRejection, iss?: string): LogoutResponse => {
    safeLog(log, { outcome: 'refused', reason, ...(iss ? { iss } : {}) });
    return {
      statusCode: 400,
      headers: HEADERS,
      body: JSON.stringify({
        error: 'invalid_request',
        error_description: `${reason}: ${LOGOUT_REJECTIONS[reason]}`,
      }),
    };
  };

  return async function handle(request) {
    try {
      const token = readLogoutToken(request);
      if (!token.ok) return refuse(token.reason);
      const verified = await deps.verifier.verify(token.token);
      if (!verified.ok) return refuse(verified.reason);
      const claims = verified.claims;
      const at = Math.floor(now() / 1000);
      let fresh: boolean;
      try {
        // The jti is kept as long as the token could still verify; after that its exp refuses it.
        fresh = await deps.store.claimOnce(logoutJtiKey(claims.iss, claims.jti), claims.exp + skew + 1, at);
        if (fresh) await deps.store.revoke([entryOf(claims, at, retention)]);
      } catch {
        return refuse('revocation_store_unavailable', claims.iss);
      }
      if (!fresh) return refuse('jti_replayed', claims.iss);
      safeLog(log, { outcome: 'revoked', iss: claims.iss, kind: claims.sid !== undefined ? 'sid' : 'sub' });
      return { statusCode: 200, headers: HEADERS, body: '' };
    } catch {
      // Unexpected: refused, never a crash the gateway turns into a 502.
      return refuse('logout_token_malformed');
    }
  };
}

/**
 * The list entry a logout token asks for: its session when it names one (section 2.4: "only that
 * session"), else every session of its subject. Revoked now: tokens issued up to this second are refused.
 */
export function entryOf(claims: LogoutClaims, nowSeconds: number, retentionSeconds: number): RevocationEntry {
  const key =
    claims.sid !== undefined
      ? revocationKey(claims.iss, 'sid', claims.sid)
      : revocationKey(claims.iss, 'sub', claims.sub as string);
  return { key, revokedAt: nowSeconds, expiresAt: nowSeconds + retentionSeconds };
}

/** Method, content type, size and the one `logout_token` form parameter (section 2.5). */
export function readLogoutToken(
  request: LogoutRequest,
): { ok: true; token: string } | { ok: false; reason: LogoutRejection } {
  if (request.method.toUpperCase() !== 'POST') return { ok: false, reason: 'method_not_allowed' };
  const type = (request.contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return { ok: false, reason: 'content_type_invalid' };
  if (request.body.length > MAX_LOGOUT_REQUEST_BYTES) return { ok: false, reason: 'body_too_large' };
  const tokens = new URLSearchParams(request.body.toString('utf8')).getAll('logout_token');
  if (tokens.length !== 1 || tokens[0].length === 0) return { ok: false, reason: 'logout_token_missing' };
  return { ok: true, token: tokens[0] };
}

function safeLog(log: (line: LogoutLogLine) => void, line: LogoutLogLine): void {
  try {
    log(line);
  } catch {
    // The answer does not depend on the log.
  }
}
