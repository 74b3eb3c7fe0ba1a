/**
 * Browser sessions as the request pipeline sees them: one object that opens a request's session cookie and,
 * for a browser that has no usable session, builds the answer that sends it to sign in. The handler calls
 * only through this interface, so the session code (envelope, cookies, keyring, redirects) is a module of
 * its own: the deployed authorizer ships it as `session.js` beside `index.js` and loads it only when the
 * configuration has `session` (index.ts); an authorizer without browser sign-in never loads it.
 */
import type { SessionConfig } from '../../common/authorizer-config';
import type { ReasonCode } from '../../common/reason-codes';
import type { AuthorizerResponse } from './build-response';
import type { AuthRequest } from './parse-event';
import type { SessionStep } from './session-cookie';
import {
  openRequestSession,
  signInDenyResponse,
  signInRedirect,
  stepUpSignInRedirect,
} from './session-cookie';
import type { StepUpLogin } from '../../common/step-up';
import type { SessionKeyProvider } from '../../common/session/session-keys';
import { publicBaseUrl } from '../../common/session/public-url';
import { ownOrigin } from './own-origin';

export interface SessionSupport {
  /**
   * Opens the session cookie of a request that presented no bearer token: reads the keyring, opens the
   * envelope and pre-computes the CSRF verdict (applied by the pipeline once the token is verified).
   */
  open(request: AuthRequest, nowSeconds: number): Promise<SessionStep>;
  /**
   * For a request refused as unauthenticated: the answer carrying a sign-in URL when it is a browser
   * navigation that can recover by signing in, else undefined (the pipeline's plain 401).
   * @param route the matched route key, or the request's own `METHOD /path` when no route matched
   * @param accessExpired the session held an access token that has expired (send it to refresh)
   */
  signIn(
    request: AuthRequest,
    route: string | undefined,
    reason: ReasonCode,
    accessExpired: boolean,
  ): AuthorizerResponse | undefined;
  /**
   * For a request refused for step-up: the sign-in URL asking the issuer for the route's level and age
   * (`acr_values`, `max_age`), when it is a browser navigation to a browser route of a REST API; else
   * undefined. The caller adds it to the refusal's context as `signIn`.
   */
  stepUpSignIn(request: AuthRequest, route: string, login: StepUpLogin): string | undefined;
}

/** Session reasons (and token_missing) a browser can recover from by signing in again. */
const SIGN_IN_REASONS: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  'token_missing',
  'session_malformed',
  'session_key_unknown',
  'session_tampered',
  'session_expired',
  'session_keys_unavailable',
  'token_expired',
  // Logged out in the issuer (back-channel logout): signing in again starts a new session.
  'session_revoked',
]);

export function createSessionSupport(config: SessionConfig, keys: SessionKeyProvider): SessionSupport {
  return {
    open(request, nowSeconds) {
      const own = ownOrigin(request);
      return openRequestSession(
        { method: request.method, cookies: request.cookies(), headers: request.headerMap() },
        {
          cookieName: config.cookieName,
          csrfHeader: config.csrfHeader,
          allowedOrigins: [...(own !== undefined ? [own] : []), ...(config.allowedOrigins ?? [])],
        },
        keys,
        nowSeconds,
      );
    },

    /**
     * Only a browser navigation to a `browser` route of a REST API gets a Deny carrying the sign-in URL:
     * REST maps `$context.authorizer.signIn` into the ACCESS_DENIED gateway response, while a thrown
     * Unauthorized carries no context. HTTP APIs have no gateway responses: plain 401.
     */
    signIn(request, route, reason, accessExpired) {
      if (request.kind !== 'rest' || !SIGN_IN_REASONS.has(reason)) return undefined;
      const baseUrl = publicBaseUrl(request.domainName, request.stage, config.publicBaseUrl);
      if (!baseUrl) return undefined;
      const headers: Record<string, string> = {};
      for (const [k, v] of request.headerMap()) headers[k] = v.join(', ');
      const url = signInRedirect({
        method: request.method,
        path: request.path,
        rawQuery: request.rawQuery(),
        headers,
        browserRoute: (config.browserRoutes ?? []).includes(route ?? ''),
        accessExpired,
        baseUrl,
      });
      return url ? signInDenyResponse(request.resourceArn, url, reason) : undefined;
    },

    stepUpSignIn(request, route, login) {
      if (request.kind !== 'rest') return undefined;
      const baseUrl = publicBaseUrl(request.domainName, request.stage, config.publicBaseUrl);
      if (!baseUrl) return undefined;
      const headers: Record<string, string> = {};
      for (const [k, v] of request.headerMap()) headers[k] = v.join(', ');
      return stepUpSignInRedirect(
        {
          method: request.method,
          path: request.path,
          rawQuery: request.rawQuery(),
          headers,
          browserRoute: (config.browserRoutes ?? []).includes(route),
          accessExpired: false,
          baseUrl,
        },
        login,
      );
    },
  };
}
