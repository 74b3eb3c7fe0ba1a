/**
 * The same-origin proof (common/csrf.ts) for a request the authorizer authenticates by a cookie: a browser
 * session, or a token read from `tokenSource.cookie`. The request's own origin is the API's host as the
 * browser addressed it (`requestContext.domainName`, a custom domain included), over https.
 */
import type { CsrfPolicy, CsrfResult } from '../../common/csrf';
import { checkRequestCsrf } from '../../common/csrf';
import type { AuthRequest } from './parse-event';

/** `https://<domainName>`, or undefined when the event carries no domain name. */
export function ownOrigin(request: Pick<AuthRequest, 'domainName'>): string | undefined {
  return request.domainName ? `https://${request.domainName}` : undefined;
}

export function cookieRequestCsrf(request: AuthRequest, policy: CsrfPolicy): CsrfResult {
  return checkRequestCsrf(
    { method: request.method, headers: request.headerMap(), ownOrigin: ownOrigin(request) },
    policy,
  );
}
