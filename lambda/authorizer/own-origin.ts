/**
 * The origin a browser addressed the API at: the API's host as the event names it
 * (`requestContext.domainName`, a custom domain included), over https. Browser sessions (session.js) and
 * the same-origin check of a cookie-borne token (cookie-csrf.js) each compare a request's Origin with it.
 */
import type { AuthRequest } from './parse-event';

/** `https://<domainName>`, or undefined when the event carries no domain name. */
export function ownOrigin(request: Pick<AuthRequest, 'domainName'>): string | undefined {
  return request.domainName ? `https://${request.domainName}` : undefined;
}
