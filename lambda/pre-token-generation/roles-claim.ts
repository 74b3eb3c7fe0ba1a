/**
 * Pure core of the Cognito pre-token-generation trigger: turns the Keycloak roles Cognito stored in the
 * user's custom attribute into the value of the access-token roles claim. No AWS types here: the glue
 * in index.ts converts the event.
 *
 * The attribute holds whatever the identity provider sent, as text: Cognito writes an array claim
 * into a string attribute (seen as `[a, b]` or JSON `["a","b"]`), and an administrator or a broken
 * mapper may leave anything there. Every entry is checked; what does not look like a role is
 * dropped (fail closed: a dropped role only ever removes access).
 */

/** Roles kept per token; more would bloat every access token and are cut (and counted). */
export const MAX_ROLES = 100;
/** Longest attribute value read: Cognito custom string attributes hold at most 2048 characters. */
export const MAX_ATTRIBUTE_LENGTH = 2048;
/**
 * A role as the route model can use it: printable ASCII without spaces, `*`, `/`, `,`, quotes or
 * brackets, at most 255 characters. `client:role` entries are client roles (split at the first `:`).
 */
export const ROLE_PATTERN = /^[A-Za-z0-9._~@:+=-]{1,255}$/;

export type RolesOutcome =
  /** The attribute was present and parsed (entries may still have been dropped). */
  | 'ok'
  /** The user has no roles attribute (or an empty one). */
  | 'absent'
  /** The user did not sign in through the trusted identity provider: no roles are copied. */
  | 'not_federated'
  /** The attribute is not text, or is longer than a custom attribute can be. */
  | 'malformed';

export interface RolesClaim {
  readonly roles: string[];
  readonly outcome: RolesOutcome;
  /** Entries dropped as invalid, duplicate or over MAX_ROLES. */
  readonly dropped: number;
}

/** Parses the attribute value into roles; never throws. */
export function parseRolesAttribute(value: unknown): RolesClaim {
  if (value === undefined || value === null || value === '')
    return { roles: [], outcome: 'absent', dropped: 0 };
  if (typeof value !== 'string' || value.length > MAX_ATTRIBUTE_LENGTH) {
    return { roles: [], outcome: 'malformed', dropped: 0 };
  }
  const entries = splitEntries(value.trim());
  const roles: string[] = [];
  let dropped = 0;
  for (const raw of entries) {
    const role = typeof raw === 'string' ? raw.trim() : raw;
    if (
      typeof role !== 'string' ||
      !ROLE_PATTERN.test(role) ||
      roles.includes(role) ||
      roles.length >= MAX_ROLES
    ) {
      dropped++;
      continue;
    }
    roles.push(role);
  }
  return { roles, outcome: 'ok', dropped };
}

function splitEntries(text: string): unknown[] {
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed;
      return [parsed];
    } catch {
      // Not JSON: Cognito's `[a, b]` rendering of an array claim.
      if (!text.endsWith(']')) return [text];
      return text.slice(1, -1).split(',');
    }
  }
  // A single role, or a comma / whitespace separated list.
  return text.split(/[,\s]+/).filter((s) => s !== '');
}

/**
 * Whether Cognito's `identities` attribute (a JSON array of `{ providerName, ... }`) names the
 * trusted provider. Only users linked to that provider get roles copied.
 */
export function isFederatedFrom(identitiesAttribute: unknown, providerName: string): boolean {
  if (typeof identitiesAttribute !== 'string' || identitiesAttribute.length > 16_384 || !providerName)
    return false;
  try {
    const list: unknown = JSON.parse(identitiesAttribute);
    return (
      Array.isArray(list) &&
      list.some(
        (i: unknown) =>
          typeof i === 'object' &&
          i !== null &&
          (i as { providerName?: unknown }).providerName === providerName,
      )
    );
  } catch {
    return false;
  }
}

/** The whole decision for one token: roles to put in the access-token claim, and why. */
export function rolesForToken(
  userAttributes: Readonly<Record<string, unknown>>,
  rolesAttribute: string,
  providerName: string,
): RolesClaim {
  if (!isFederatedFrom(userAttributes.identities, providerName)) {
    return { roles: [], outcome: 'not_federated', dropped: 0 };
  }
  return parseRolesAttribute(userAttributes[rolesAttribute]);
}
