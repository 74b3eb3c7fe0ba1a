/**
 * The sign-in routes' responses: redirects, fixed-text pages, JSON for scripts and confirmation pages.
 * Never cached, and nothing from the request is reflected in a body.
 */
import type { SignInReason } from '../../common/reason-codes';
import { confirmPageBody, confirmPageHeaders } from './confirm-page';
import type { ConfirmPage } from './confirm-page';

export interface SignInResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Set-Cookie values, one header each. */
  readonly cookies: readonly string[];
  readonly body: string;
  /** For the log line and the tests; never sent to the browser. */
  readonly reason: SignInReason;
}

// Never cached, and the callback URL (it carries the code) is never sent on as a Referer.
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache', 'referrer-policy': 'no-referrer' };

export function redirect(location: string, reason: SignInReason, cookies: string[] = []): SignInResponse {
  return { status: 302, headers: { location, ...NO_STORE }, cookies, body: '', reason };
}

/** A plain-text page of fixed text: nothing from the request is reflected. */
export function page(
  status: number,
  reason: SignInReason,
  message: string,
  cookies: string[] = [],
): SignInResponse {
  return {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', ...NO_STORE },
    cookies,
    body: `${message}\n`,
    reason,
  };
}

export function json(
  status: number,
  reason: SignInReason,
  body: unknown,
  cookies: string[] = [],
): SignInResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', ...NO_STORE },
    cookies,
    body: JSON.stringify(body),
    reason,
  };
}

export function confirm(reason: SignInReason, p: ConfirmPage): SignInResponse {
  return {
    status: 200,
    headers: { ...NO_STORE, ...confirmPageHeaders(p) },
    cookies: [],
    body: confirmPageBody(p),
    reason,
  };
}
