/**
 * The `tokenBinding` block of a stage (cdk.json, docs/token-binding.md): which routes and issuers accept
 * sender-constrained tokens only. The app (lib/app/keygate-stack.ts) turns it into KeygateAuthorizer's
 * `tokenBinding` props (lib/authorizer/token-binding.ts), checked here once, with the runtime block's own
 * checks (common/token-binding.ts validateTokenBinding).
 *
 * Issuers are named as route requirements name them: the realm's issuer URL, or `cognitoFederation`.
 */
import { COGNITO_FEDERATION_ISSUER } from './app-config';
import type { RouteSpec } from './route-model';
import type { DpopAlgorithm } from './token-binding';
import { validateTokenBinding } from './token-binding';
import type { FieldIssue } from './field-issue';
import { fieldIssue, unknownFieldIssues } from './field-issue';

export interface StageBindingScope {
  /** Issuers all of whose tokens must be bound: the realm's issuer URL and/or `cognitoFederation`. @default [] */
  readonly issuers?: readonly string[];
  /** Route keys (`POST /models/{modelId}/invoke`) of keycloak routes that accept bound tokens only. @default [] */
  readonly routes?: readonly string[];
}

export interface StageDpopBinding extends StageBindingScope {
  /** @default ['ES256', 'RS256', 'PS256', 'EdDSA'] */
  readonly algorithms?: readonly DpopAlgorithm[];
  /** @default 60 (at most 300) */
  readonly proofMaxAgeSeconds?: number;
  /** The URL clients call (a custom domain with its base path). @default - the request's own domain */
  readonly publicBaseUrl?: string;
}

export interface StageTokenBindingConfig {
  readonly dpop?: StageDpopBinding;
  readonly mtls?: StageBindingScope;
}

/** What the checks need of the stage (a StageConfig, or the raw object the schema has parsed). */
interface StageFacts {
  readonly keycloak?: { readonly issuer?: unknown };
  readonly cognitoFederation?: unknown;
  readonly routes?: unknown;
  readonly authorizer?: { readonly cacheTtlSeconds?: unknown };
}

/**
 * The block's checks, at `at` (`stages.dev.tokenBinding`): the runtime block's (fields, route keys of the
 * stage's keycloak routes, algorithms, proof age, URL) with the stage's issuers, and the result cache
 * off: a stage with `tokenBinding` defaults `authorizer.cacheTtlSeconds` to 0, and any other value is
 * refused (a cached answer would skip the per-request proof; docs/token-binding.md).
 */
export function validateStageTokenBinding(
  value: unknown,
  at: string,
  stage: Readonly<Record<string, unknown>>,
): FieldIssue[] {
  const s = stage as StageFacts;
  const issuers = [
    ...(typeof s.keycloak?.issuer === 'string' ? [s.keycloak.issuer] : []),
    ...(s.cognitoFederation !== undefined ? [COGNITO_FEDERATION_ISSUER] : []),
  ];
  const routes = Array.isArray(s.routes) ? (s.routes as RouteSpec[]) : [];
  const ttl = s.authorizer?.cacheTtlSeconds ?? 0;
  // A stage's block has the runtime block's fields but the replay table's name: the app creates the table.
  const unknown: FieldIssue[] = [];
  const known = withKnownFields(value, at, unknown);
  const errors = [
    ...unknown,
    ...validateTokenBinding(known, { routes, issuers, resultCacheTtlSeconds: 0 }, at),
  ];
  if (errors.length === 0 && ttl !== 0) {
    const stagePath = at.slice(0, at.length - '.tokenBinding'.length);
    errors.push(
      fieldIssue(
        `${stagePath}.authorizer.cacheTtlSeconds`,
        'must be 0 (or left out) with tokenBinding: ' +
          'a bound token is proven per request (DPoP proof, client certificate), which a cached answer would skip',
      ),
    );
  }
  return errors;
}

const STAGE_FIELDS = {
  dpop: ['issuers', 'routes', 'algorithms', 'proofMaxAgeSeconds', 'publicBaseUrl'],
  mtls: ['issuers', 'routes'],
} as const;

/** The block with the fields of a stage's `dpop` and `mtls` only; each other field is an error in `errors`. */
function withKnownFields(value: unknown, at: string, errors: FieldIssue[]): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const kind of ['dpop', 'mtls'] as const) {
    const scope = out[kind];
    if (typeof scope !== 'object' || scope === null || Array.isArray(scope)) continue;
    const fields: readonly string[] = STAGE_FIELDS[kind];
    errors.push(...unknownFieldIssues(scope as Record<string, unknown>, fields, `${at}.${kind}`));
    const kept = Object.entries(scope).filter(([k]) => fields.includes(k));
    out[kind] = Object.fromEntries(kept);
  }
  return out;
}
