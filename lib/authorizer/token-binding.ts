/**
 * The construct side of sender-constrained tokens (common/token-binding.ts): the props KeygateAuthorizer
 * takes, the DPoP replay table it creates, and the synth-time warning that the result cache is off.
 */
import { Annotations, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { issuerUrl } from '../../common/authorizer-config';
import type { DpopAlgorithm, TokenBindingConfig } from '../../common/token-binding';
import { REPLAY_TABLE } from '../../common/token-binding';
import type { StageBindingScope, StageTokenBindingConfig } from '../../common/stage-token-binding';
import type { TrustedIssuer } from './trusted-issuer';

/** Who must present bound tokens: every token of the issuers, and every token on the routes. */
export interface BindingScopeOptions {
  /**
   * Issuers all of whose tokens must be bound.
   * @default []
   */
  readonly issuers?: TrustedIssuer[];
  /**
   * Route keys (`POST /models/{modelId}/invoke`) that accept bound tokens only; each must be a route of
   * the authorizer by synth time.
   * @default []
   */
  readonly routes?: string[];
}

/** DPoP (RFC 9449): the token is bound to a key; each request carries a single-use proof signed with it. */
export interface DpopBindingOptions extends BindingScopeOptions {
  /**
   * Proof signature algorithms accepted (ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512,
   * EdDSA).
   * @default ['ES256', 'RS256', 'PS256', 'EdDSA']
   */
  readonly algorithms?: string[];
  /**
   * Oldest proof accepted, from its `iat` (at most 5 minutes). Each proof's jti is kept this long plus
   * the clock skew.
   * @default Duration.seconds(60)
   */
  readonly proofMaxAge?: Duration;
  /**
   * The base URL clients call (a custom domain with its base path), without a trailing slash: proofs'
   * `htu` is compared with it plus the route path.
   * @default - `https://` + the request's domain name (+ `/<stage>` on the execute-api domain)
   */
  readonly publicBaseUrl?: string;
  /**
   * The table remembering proof ids (partition key `pk` string, TTL attribute `expiresAt`).
   * @default - a new on-demand table with TTL, owned by the authorizer
   */
  readonly replayTable?: dynamodb.ITable;
}

/** Sender-constrained tokens for KeygateAuthorizer. Either turns API Gateway's result cache off. */
export interface TokenBindingOptions {
  /** @default - no DPoP binding */
  readonly dpop?: DpopBindingOptions;
  /**
   * Certificate-bound tokens (RFC 8705): the token's `cnf.x5t#S256` must match the client certificate of
   * the mutual-TLS connection, which API Gateway terminates on a custom domain with a truststore.
   * @default - no certificate binding
   */
  readonly mtls?: BindingScopeOptions;
}

/**
 * KeygateAuthorizer's `tokenBinding` for a stage's block (common/stage-token-binding.ts, checked by the
 * stage schema): issuer names become the stage's trusted issuers through `issuerOf`.
 */
export function stageTokenBindingOptions(
  block: StageTokenBindingConfig,
  issuerOf: (name: string) => TrustedIssuer,
): TokenBindingOptions {
  const scope = (s: StageBindingScope) => ({
    issuers: (s.issuers ?? []).map(issuerOf),
    routes: [...(s.routes ?? [])],
  });
  const { dpop, mtls } = block;
  return {
    ...(dpop
      ? {
          dpop: {
            ...scope(dpop),
            ...(dpop.algorithms ? { algorithms: [...dpop.algorithms] } : {}),
            ...(dpop.proofMaxAgeSeconds !== undefined
              ? { proofMaxAge: Duration.seconds(dpop.proofMaxAgeSeconds) }
              : {}),
            ...(dpop.publicBaseUrl !== undefined ? { publicBaseUrl: dpop.publicBaseUrl } : {}),
          },
        }
      : {}),
    ...(mtls ? { mtls: scope(mtls) } : {}),
  };
}

/** The runtime `tokenBinding` block, with each issuer as its probe stand-in or its real URL. */
export function tokenBindingConfig(
  options: TokenBindingOptions,
  replayTableName: string | undefined,
  probe: boolean,
  registeredRoutes: ReadonlySet<string>,
): TokenBindingConfig {
  const urls = (issuers?: TrustedIssuer[]) =>
    issuers?.map((i) => issuerUrl(probe ? i._probe : i._config)) ?? [];
  // While routes are still being added, a route key not registered yet is checked at synth instead.
  const routes = (keys?: string[]) => (keys ?? []).filter((k) => !probe || registeredRoutes.has(k));
  const { dpop, mtls } = options;
  return {
    ...(dpop
      ? {
          dpop: {
            issuers: urls(dpop.issuers),
            routes: routes(dpop.routes),
            ...(dpop.algorithms ? { algorithms: dpop.algorithms as DpopAlgorithm[] } : {}),
            ...(dpop.proofMaxAge ? { proofMaxAgeSeconds: dpop.proofMaxAge.toSeconds() } : {}),
            ...(dpop.publicBaseUrl ? { publicBaseUrl: dpop.publicBaseUrl } : {}),
            // A deploy-time name: validated with a stand-in of the same shape.
            ...(replayTableName ? { replayTableName: probe ? 'keygate-dpop-replay' : replayTableName } : {}),
          },
        }
      : {}),
    ...(mtls ? { mtls: { issuers: urls(mtls.issuers), routes: routes(mtls.routes) } } : {}),
  };
}

/** Route keys the binding options name that are not routes of the authorizer: synth errors. */
export function unregisteredBoundRoutes(
  options: TokenBindingOptions,
  registeredRoutes: ReadonlySet<string>,
): string[] {
  const errors: string[] = [];
  for (const kind of ['dpop', 'mtls'] as const) {
    for (const key of options[kind]?.routes ?? []) {
      if (!registeredRoutes.has(key)) {
        errors.push(
          `KeygateAuthorizer: tokenBinding.${kind}.routes: '${key}' is not a route of this authorizer`,
        );
      }
    }
  }
  return errors;
}

/**
 * The DPoP replay table (or the one given), writable by the authorizer with PutItem only. Proof ids are
 * worth nothing after their few minutes: the table is destroyed with the stack and has no backups.
 */
export function dpopReplayTable(scope: Construct, fn: IFunction, given?: dynamodb.ITable): dynamodb.ITable {
  const table =
    given ??
    new dynamodb.Table(scope, 'DpopReplayTable', {
      partitionKey: { name: REPLAY_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: REPLAY_TABLE.ttlAttribute,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  if (!given) {
    Validations.of(table).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason:
        'The table holds DPoP proof ids for a few minutes (TTL); a restore would bring back nothing worth having.',
    });
  }
  table.grant(fn, 'dynamodb:PutItem');
  return table;
}

/**
 * Synth says so when binding turns the result cache off: API Gateway caches per authorizer, so every route
 * of it is then authorized on each request.
 */
export function warnCacheOff(scope: Construct, options: TokenBindingOptions): void {
  const parts: string[] = [];
  for (const kind of ['dpop', 'mtls'] as const) {
    const o = options[kind];
    if (!o) continue;
    const where = [
      ...(o.routes ?? []).map((r) => `route ${r}`),
      ...(o.issuers ?? []).map((i) => `issuer ${i.issuerUrl}`),
    ];
    parts.push(
      `${kind === 'dpop' ? 'DPoP' : 'mTLS'} binding on ${where.length ? where.join(', ') : 'bound tokens'}`,
    );
  }
  Annotations.of(scope).addWarningV2(
    'keygate:token-binding-cache-off',
    `KeygateAuthorizer: the authorizer result cache is off (TTL 0) for every route of this authorizer because of ` +
      `${parts.join('; ')}: a DPoP proof is single-use and a client certificate is not part of the cache key, ` +
      'so a cached answer would skip the proof',
  );
}
