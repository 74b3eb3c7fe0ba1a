/**
 * `returnTo` handling: after sign-in the browser goes back only to a path on this same site. Anything that
 * a browser could resolve to another origin is refused (open-redirect defence, OWASP "Unvalidated Redirects
 * and Forwards"): absolute URLs, scheme-relative `//host`, backslash tricks `/\host` (browsers treat `\` as
 * `/`), encoded forms of those (`/%2F%2Fhost`, `%5C`), and control or whitespace characters (browsers strip
 * tabs and newlines from URLs, which turns `/\t/host` into `//host`).
 */

export const MAX_RETURN_TO_LENGTH = 2048;
const ALLOWED = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;

/** Returns the path if it is a safe same-site relative path, else undefined. */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RETURN_TO_LENGTH)
    return undefined;
  if (!value.startsWith('/') || !ALLOWED.test(value)) return undefined;
  // Decode repeatedly (bounded) so double-encoded separators are seen for what a later hop may make of them.
  let decoded = value;
  let stable = false;
  for (let i = 0; i < 4 && !stable; i++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      return undefined;
    }
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f\\]/.test(next) || next.startsWith('//')) return undefined;
    stable = next === decoded;
    decoded = next;
  }
  if (!stable) return undefined;
  const resolved = new URL(value, 'https://keygate.invalid');
  if (resolved.origin !== 'https://keygate.invalid') return undefined;
  return value;
}
