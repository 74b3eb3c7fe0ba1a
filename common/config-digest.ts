/**
 * The digest of an authorizer configuration as the construct checked it at synth, so that the authorizer
 * does not check the same configuration again at every cold start.
 *
 * The construct runs every check of the configuration at synth and stamps it with the SHA-256 of its
 * checked content (configContent). At cold start the authorizer takes the same digest of the configuration
 * it was given: when the two are equal, that content is exactly what was checked, and only the checks of
 * what the content leaves out run (checkedConfigIssues in authorizer-config-validate.ts). When the digest is missing
 * or differs (a configuration written or edited by hand), every check runs, as for any configuration, from
 * the authorizer's config-checks module, which a checked configuration never loads.
 *
 * The content leaves out what the construct knows only as a deploy-time value or checks in a module of its
 * own, so that those are checked at every cold start, digest or not:
 * - the `session`, `revocation`, `usage` and `tokenBinding` blocks, whose checks the module holding each
 *   feature runs (only whether each is present is in the content);
 * - a Cognito issuer's user pool id, Region and app clients (the construct checks stand-ins of their shape;
 *   the Cognito module checks the deployed values);
 * - the URL of a Cognito issuer in a route's `requirement.issuers`, written as the issuer's position.
 *
 * The digest is neither a secret nor a signature: anyone who can edit the configuration can recompute it,
 * and so skip the checks for a configuration that fails them. It guards against mistakes, not against
 * whoever can change the function's environment (who can change its code as well): docs/security.md.
 */
import { hash } from 'node:crypto';

/**
 * Names what the checks are: changed whenever the checks accept or refuse other configurations, so that a
 * configuration checked by another version is checked again.
 */
const CHECKS_VERSION = 'keygate-config-checks/1';

/** The configuration field the digest is written in. */
export const CONFIG_DIGEST_FIELD = 'configDigest';

/** Blocks checked by their own module at every cold start: the content says only whether each is present. */
const BLOCKS_CHECKED_APART: ReadonlySet<string> = new Set(['session', 'revocation', 'usage', 'tokenBinding']);

/** A Cognito issuer's fields known only at deployment: checked at every cold start. */
const COGNITO_DEPLOY_TIME: ReadonlySet<string> = new Set(['userPoolId', 'region', 'allowedClients']);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The content the digest is taken of, as one string: every field of the configuration as written (keys in
 * their order), but the digest itself and what the module comment lists. Any value, valid or not, has a
 * content.
 * @param issuerUrlOf the issuer URL of an `issuers` entry that has a `kind` (authorizer-config.ts)
 */
export function configContent(config: unknown, issuerUrlOf: (issuer: unknown) => string): string {
  if (!isRecord(config)) return JSON.stringify([CHECKS_VERSION, config]);
  const position = new Map<string, number>();
  const issuers = Array.isArray(config.issuers) ? (config.issuers as unknown[]) : [];
  issuers.forEach((i, n) => {
    if (!isRecord(i) || i.kind === undefined) return;
    const url: unknown = issuerUrlOf(i);
    if (typeof url === 'string' && !position.has(url)) position.set(url, n);
  });
  const content: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === CONFIG_DIGEST_FIELD) continue;
    if (BLOCKS_CHECKED_APART.has(key)) content[key] = value !== undefined;
    else if (key === 'issuers' && Array.isArray(value)) content[key] = value.map(withoutDeployTimeFields);
    else if (key === 'routes' && Array.isArray(value))
      content[key] = value.map((r: unknown) => withScopePositions(r, position));
    else content[key] = value;
  }
  return JSON.stringify([CHECKS_VERSION, content]);
}

/** A Cognito issuer without its deploy-time fields; any other entry as it is. */
function withoutDeployTimeFields(issuer: unknown): unknown {
  if (!isRecord(issuer) || issuer.kind !== 'cognito') return issuer;
  return Object.fromEntries(Object.entries(issuer).filter(([k]) => !COGNITO_DEPLOY_TIME.has(k)));
}

/** A route with the URLs of its requirement's issuer scope written as issuer positions. */
function withScopePositions(route: unknown, position: ReadonlyMap<string, number>): unknown {
  if (!isRecord(route) || !isRecord(route.requirement)) return route;
  const scope = route.requirement.issuers;
  if (!Array.isArray(scope)) return route;
  // Spreading keeps every key where it was, so the content keeps the route's key order.
  return {
    ...route,
    requirement: {
      ...route.requirement,
      issuers: scope.map((url: unknown) => {
        const n = typeof url === 'string' ? position.get(url) : undefined;
        return n === undefined ? url : { issuer: n };
      }),
    },
  };
}

/** SHA-256, hex, of configContent: what the construct stamps and the authorizer compares. */
export function configDigest(config: unknown, issuerUrlOf: (issuer: unknown) => string): string {
  // One-shot crypto.hash (Node >= 20.12): at a cold start, a third of createHash's first call.
  return hash('sha256', configContent(config, issuerUrlOf), 'hex');
}

/** What a digest looks like: SHA-256 in lower-case hex. */
export const CONFIG_DIGEST_PATTERN = /^[0-9a-f]{64}$/;
