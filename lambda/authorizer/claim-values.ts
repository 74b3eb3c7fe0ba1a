/**
 * Reading entitlement claims, shared by the Keycloak mapping (claims-to-principal.ts) and the Cognito one
 * (cognito-claims.ts, in the authorizer's cognito module): pure functions over verified claims. A claim of
 * the wrong shape throws Malformed (the token is refused with `claims_malformed`); an unsafe entry is
 * dropped (claims-to-principal.ts says why).
 */
import { AuthorizerError } from './errors';

export type Claims = Readonly<Record<string, unknown>>;

/** A claim of the wrong shape: the issuer is misconfigured, and guessing could grant too much. */
export class Malformed extends AuthorizerError {}

/** Longest entitlement kept (route requirements accept at most 255 characters). */
export const MAX_ENTITLEMENT_LENGTH = 255;

// eslint-disable-next-line no-control-regex
export const UNSAFE_ROLE = /[\s*?/\x00-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
export const UNSAFE_GROUP = /[\s*?\x00-\x1f\x7f]/;
// A client id containing ':' would make `client:role` ambiguous (`a:b` + `c` vs `a` + `b:c`).
// eslint-disable-next-line no-control-regex
export const UNSAFE_CLIENT = /[\s*?/:\x00-\x1f\x7f]/;

/** `client:role` with a non-empty client and role (split at the first `:`). */
export const CLIENT_ROLE = /^[^:]+:.+$/;

export function scopes(c: Claims): string[] {
  const s = c.scope;
  if (s === undefined) return [];
  if (typeof s !== 'string') throw new Malformed('scope is not a string');
  return dedupe(splitSpaces(s).filter((x) => safe(x, UNSAFE_ROLE)));
}

export function splitSpaces(s: string): string[] {
  return s.split(' ').filter((x) => x.length > 0);
}

export function stringList(o: Claims, key: string, name: string): string[] {
  const v = o[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw new Malformed(`${name} is not a list of strings`);
  return v as string[];
}

export function optionalObject(o: Claims, key: string): Claims | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!isObject(v)) throw new Malformed(`${key} is not an object`);
  return v;
}

export function optionalString(o: Claims, key: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new Malformed(`${key} is not a string`);
  return v;
}

export function isObject(v: unknown): v is Claims {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function safe(v: string, unsafe: RegExp): boolean {
  return v.length > 0 && v.length <= MAX_ENTITLEMENT_LENGTH && !unsafe.test(v);
}

/** Short lists without a duplicate, the usual case, are checked in place, without a Set. */
export function dedupe(list: string[]): string[] {
  if (list.length > 32) return [...new Set(list)];
  for (let i = 1; i < list.length; i++)
    if (list.lastIndexOf(list[i], i - 1) !== -1) return [...new Set(list)];
  return list;
}
