/**
 * Small predicates the configuration validators share (authorizer config, stage config, sign-in config),
 * so each rule is written once. Pure functions; no messages here — each validator names its own field.
 */

/** An https URL with no trailing slash, query, fragment or credentials (an issuer or base URL). */
export function isHttpsUrl(v: unknown): v is string {
  if (typeof v !== 'string' || v.endsWith('/')) return false;
  try {
    const u = new URL(v);
    return u.protocol === 'https:' && !u.search && !u.hash && !u.username && !u.password;
  } catch {
    return false;
  }
}

/** An http URL with no trailing slash, query, fragment or credentials (a development issuer). */
export function isHttpUrl(v: unknown): v is string {
  if (typeof v !== 'string' || v.endsWith('/')) return false;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' && !u.search && !u.hash && !u.username && !u.password;
  } catch {
    return false;
  }
}

/** A URL whose host is a loopback address (127.0.0.0/8, ::1 or localhost): only this machine answers. */
export function isLoopbackUrl(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  try {
    const host = new URL(v).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  } catch {
    return false;
  }
}

/** Exactly an https origin: scheme, host and optional port, nothing else. */
export function isHttpsOrigin(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return u.protocol === 'https:' && u.origin === v;
  } catch {
    return false;
  }
}

/** An RFC 9110 field-name token (§5.1), at most 64 characters. */
export function isHeaderName(v: unknown): v is string {
  return typeof v === 'string' && /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(v);
}

/** A list of non-empty strings, each at most `max` characters. */
export function isStringList(v: unknown, max = 256): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string' && s.length > 0 && s.length <= max);
}

export function isNonEmptyList(v: unknown): boolean {
  return Array.isArray(v) && v.length > 0;
}

export function isIntIn(v: unknown, min: number, max: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

export function isNonEmptyString(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max;
}
