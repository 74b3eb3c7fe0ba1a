/**
 * Turns verification errors into a reason code and a detail string that is safe to log.
 *
 * aws-jwt-verify's messages quote claim values (`Token expired at ...`, `Issuer not allowed: <iss>`,
 * `JWK for kid "<kid>" not found`) and all its error classes report `name` "Error", so errors are told
 * apart by class (`instanceof`) and the message itself is never passed on: the detail, if any, is a fixed
 * label chosen by the class. The rule table lives with the library import (verify-token.ts); this module only
 * applies it, so it stays free of the JWT library.
 */
import type { ReasonCode } from '../../common/reason-codes';

/** An error class (constructor) as `instanceof` needs it. */
export type ErrorClass = abstract new (...args: never[]) => Error;

export interface ErrorRule {
  readonly type: ErrorClass;
  readonly reason: ReasonCode;
  /** Fixed, value-free description. @default - none: the reason code says it */
  readonly label?: string;
}

export interface Classified {
  readonly reason: ReasonCode;
  readonly detail?: string;
}

/** First matching rule wins, so list subclasses before their base classes. Unknown errors fail closed. */
export function classifyError(err: unknown, rules: readonly ErrorRule[]): Classified {
  for (const rule of rules) {
    if (err instanceof rule.type) return { reason: rule.reason, detail: rule.label };
  }
  return { reason: 'internal_error', detail: `unexpected ${builtinName(err)}` };
}

/**
 * Describes a failed JWKS fetch without the response body: the library's fetch messages are
 * `Failed to fetch <uri>: Status code is 503, expected 200`, `...: Response time-out (after N ms.)` or a
 * Node network error. The URI is configuration (not secret) but is logged separately by issuer.
 */
export function describeFetchFailure(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  const status = /Status code is (\d{3})\b/.exec(message);
  if (status) return `http status ${status[1]}`;
  if (/time-?out/i.test(message)) return 'timeout';
  const code = /\b(E[A-Z]{2,}(?:_[A-Z]+)*)\b/.exec(message);
  if (code) return `network error ${code[1]}`;
  return 'fetch failed';
}

function builtinName(err: unknown): string {
  // Class names of our own or library errors are minified away in the bundle; built-ins are not.
  for (const t of [TypeError, RangeError, SyntaxError] as const) if (err instanceof t) return t.name;
  return 'error';
}
