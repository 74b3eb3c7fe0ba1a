/**
 * The page a GET of /auth/logout or /auth/refresh answers with: one button, a form that POSTs to the same
 * route. Those routes change state (they clear or rotate the session, and logout ends the identity
 * provider's single sign-on session through `id_token_hint`), so they act only on a POST that carries a
 * same-origin proof (common/csrf.ts); a cross-site link or navigation only shows this page.
 *
 * The page runs no script and loads nothing: its Content-Security-Policy allows no source at all, lets the
 * form post only to this API (and, for logout, be redirected on to the identity provider's end-session
 * endpoint: browsers apply `form-action` to a form's redirects as well, CSP Level 3 §6.4.1), and forbids
 * framing, so the button cannot be overlaid by another site. Its referrer policy is `same-origin`, not
 * `no-referrer`: under `no-referrer` a browser sends `Origin: null` on the form's POST (Fetch, "serialize
 * a request origin"), and the same-origin proof refuses an opaque Origin — the button would never work.
 * https://fetch.spec.whatwg.org/#serializing-a-request-origin
 * https://www.w3.org/TR/CSP3/#directive-form-action
 * https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Content-Security-Policy/frame-ancestors
 */

export interface ConfirmPage {
  readonly title: string;
  readonly message: string;
  readonly button: string;
  /** Absolute URL the form posts to. */
  readonly action: string;
  /** Origins the form submission may be redirected to besides this API's own. */
  readonly formTargets: readonly string[];
}

export function confirmPageHeaders(page: ConfirmPage): Record<string, string> {
  const targets = ["'self'", ...page.formTargets].join(' ');
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'none'; form-action ${targets}; frame-ancestors 'none'; base-uri 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
  };
}

export function confirmPageBody(page: ConfirmPage): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(page.title)}</title></head>`,
    '<body>',
    `<form method="post" action="${escapeHtml(page.action)}">`,
    `<p>${escapeHtml(page.message)}</p>`,
    `<button type="submit">${escapeHtml(page.button)}</button>`,
    '</form>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}
