/**
 * The same-origin proof (common/csrf.ts) for a request the authorizer authenticates by a cookie: a browser
 * session, or a token read from `tokenSource.cookie`. The request's own origin is the API's host as the
 * browser addressed it (own-origin.ts).
 *
 * A deferred module of the authorizer's bundle (`cookie-csrf.js`, lib/internal/lambda-entries.ts): loaded
 * on the first request whose token came from a cookie, so a bearer-only authorizer never loads it.
 */
import type { CsrfPolicy, CsrfResult } from '../../common/csrf';
import { checkRequestCsrf } from '../../common/csrf';
import { ownOrigin } from './own-origin';
import type { AuthRequest } from './parse-event';

export function cookieRequestCsrf(request: AuthRequest, policy: CsrfPolicy): CsrfResult {
  return checkRequestCsrf(
    { method: request.method, headers: request.headerMap(), ownOrigin: ownOrigin(request) },
    policy,
  );
}
