/**
 * `keygate/local`: the local gateway over a synthesized cloud assembly, for a user's own tests. The same
 * code as the `keygate local` command. Its types are declared here, self-contained, so the published
 * declaration file imports nothing.
 *
 * ```ts
 * import { startKeygateLocal } from 'keygate/local';
 * const local = await startKeygateLocal({ app: 'cdk.out' });
 * const token = await local.issuer!.mint({ username: 'granted' });
 * await fetch(`${local.apis[0].url}/orders`, { headers: { authorization: `Bearer ${token}` } });
 * await local.close();
 * ```
 */
import { serveAssembly } from './assembly/serve-assembly';
import type { ServedAssembly } from './assembly/serve-assembly';

import { main as runCommand } from './keygate-cli';

/** The `keygate local` command with these arguments (what follows `local`); runs until SIGINT/SIGTERM. */
export function main(argv: string[]): void {
  runCommand(argv);
}

export interface KeygateLocalOptions {
  /** The cloud assembly folder (`cdk synth` output). @default 'cdk.out' */
  readonly app?: string;
  /** The stack to serve. @default - the assembly's only stack */
  readonly stack?: string;
  /**
   * A real Keycloak realm URL to trust instead of the built-in issuer: https, or http on a loopback
   * address. @default - the built-in issuer
   */
  readonly keycloak?: string;
  /**
   * PEM file of the CA that signed that Keycloak's certificate; also trusted for the OpenID Connect issuers
   * of JWT authorizers, which are used as deployed. @default - the system's CAs
   */
  readonly keycloakCaFile?: string;
  /** The first API's port; the next APIs take the following ports. @default 0 (any free port) */
  readonly port?: number;
  /** The built-in issuer's port. @default 0 (any free port) */
  readonly issuerPort?: number;
  /** Variables set in every function's environment, over the template's values and stand-ins. */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Values of the stack's Secrets Manager secrets by logical id, as the functions read them locally
   * (through a stand-in of the Parameters and Secrets extension). @default - generated per run
   */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Print the functions' own output. @default false */
  readonly verbose?: boolean;
  /** Called after each request with how the gateway answered it. */
  readonly onRequest?: (request: KeygateLocalRequest) => void;
}

export interface KeygateLocalRequest {
  /** The API's name (`Name` in the template). */
  readonly api: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Why the gateway answered as it did, e.g. `policy_allow`, `identity_source_missing`, `iam_allow`. */
  readonly reason: string;
  /** Whether the authorizer function ran (false for a cached answer or no call). */
  readonly authorizerInvoked: boolean;
  readonly cacheHit: boolean;
}

export interface KeygateLocalRoute {
  readonly method: string;
  readonly path: string;
  /** `keycloak` (the Lambda authorizer), `iam` (SigV4) or `none`. */
  readonly auth: string;
  /** Why the route answers 501 locally (another runtime, another authorizer type, ...). */
  readonly unsupported?: string;
}

export interface KeygateLocalApi {
  readonly kind: 'http' | 'rest';
  readonly name: string;
  /** e.g. `http://127.0.0.1:43127` */
  readonly url: string;
  readonly routes: readonly KeygateLocalRoute[];
}

export interface KeygateLocalIssuer {
  /** The realm URL (`iss`) the authorizers trust locally. */
  readonly issuer: string;
  readonly tokenEndpoint: string;
  /** PEM certificate of its https endpoints (made for this run). */
  readonly ca?: string;
  /** Passwords of the test users `granted` (every realm role the routes name) and `plain` (none). */
  readonly passwords: Readonly<Record<string, string>>;
  /** Signs an access token of a test user, with claims merged over Keycloak's (e.g. `realm_access`). */
  mint(options?: {
    username?: string;
    clientId?: string;
    claims?: Record<string, unknown>;
    expiresIn?: number;
  }): Promise<string>;
}

export interface KeygateLocalCredential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly callerArn: string;
}

/** A REST usage plan of the stack, as the local gateway enforces it (403 without a key of it, 429 over it). */
export interface KeygateLocalUsagePlan {
  /** Logical id in the template. */
  readonly id: string;
  readonly name: string;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly quota?: { readonly limit: number; readonly period: 'DAY' | 'WEEK' | 'MONTH' };
  /** Logical ids of the REST APIs it covers. */
  readonly apis: readonly string[];
  /** Its API keys' values in this run (a per-caller tier's keys join as callers are registered). */
  readonly keys: readonly string[];
  /** The Keygate tier of a per-caller plan. */
  readonly callerKeyTier?: string;
  /** Why it is not enforced (a template the reader cannot understand); its methods answer 501. */
  readonly problem?: string;
}

export interface KeygateLocalUsage {
  readonly plans: readonly KeygateLocalUsagePlan[];
  /** Tier → the secret value a Keygate authorizer reads for it (the tier's API key, or a per-caller tier's derivation key). */
  readonly tierKeys: Readonly<Record<string, string>>;
  /** The X-API-Key an IAM role sends (its name, logical id or ARN): the one key it may read, else undefined. */
  keyForRole(role: string): string | undefined;
}

export interface KeygateLocal {
  readonly stack: string;
  readonly region: string;
  readonly apis: readonly KeygateLocalApi[];
  /** The built-in issuer; undefined with `keycloak` or when the app has no Keygate authorizer. */
  readonly issuer?: KeygateLocalIssuer;
  /** A built-in issuer per Keycloak realm the authorizers trust, in their config's order. */
  readonly issuers: readonly KeygateLocalIssuer[];
  /**
   * SigV4 credentials: `machine` may call every IAM route, `outsider` none, and each role of the stack (by
   * logical id) the IAM routes its `execute-api:Invoke` grants cover.
   */
  readonly iam: {
    readonly machine: KeygateLocalCredential;
    readonly outsider: KeygateLocalCredential;
    readonly roles: Readonly<Record<string, KeygateLocalCredential>>;
  };
  /** The stack's REST usage plans and their key values in this run. */
  readonly usage: KeygateLocalUsage;
  /** The stack's DynamoDB tables, served by a local stand-in: read or write them with any DynamoDB client. */
  readonly tables: KeygateLocalTables;
  /** Stops every server and function process. */
  close(): Promise<void>;
}

export interface KeygateLocalTables {
  /** `http://127.0.0.1:<port>`; undefined when the stack has no table. */
  readonly endpoint?: string;
  readonly region: string;
  /** Keys to sign with (the stand-in checks none). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Each table's name in this run (the template's `TableName`, else `local-<logical id>`), by logical id. */
  readonly names: Readonly<Record<string, string>>;
  /** Why each table resource the stand-in could not create was left out. */
  readonly unsupported: readonly string[];
}

/** Serves the assembly's APIs on 127.0.0.1 until `close()`. */
export async function startKeygateLocal(options: KeygateLocalOptions = {}): Promise<KeygateLocal> {
  const served = await serveAssembly({
    ...options,
    gatewayPort: options.port,
    onRequest: options.onRequest
      ? (api, r) =>
          options.onRequest!({
            api: api.name,
            method: r.method,
            path: r.path,
            status: r.status,
            reason: r.reason,
            authorizerInvoked: r.authorizerInvoked,
            cacheHit: r.cacheHit,
          })
      : undefined,
  });
  return toPublic(served);
}

function publicIssuer(issuer: NonNullable<ServedAssembly['issuer']>): KeygateLocalIssuer {
  return {
    issuer: issuer.issuer,
    tokenEndpoint: issuer.urls.token,
    ...(issuer.ca ? { ca: issuer.ca } : {}),
    passwords: issuer.passwords,
    mint: (o) => issuer.mint(o),
  };
}

function toPublic(served: ServedAssembly): KeygateLocal {
  const issuer = served.issuer;
  const credential = (c: ServedAssembly['iam']['machine']): KeygateLocalCredential => ({
    accessKeyId: c.accessKeyId,
    secretAccessKey: c.secretAccessKey,
    callerArn: c.callerArn,
  });
  return {
    stack: served.stack.name,
    region: served.stack.region,
    apis: served.apis.map(({ api, url }) => ({ kind: api.kind, name: api.name, url, routes: api.routes })),
    ...(issuer ? { issuer: publicIssuer(issuer) } : {}),
    issuers: served.issuers.map(publicIssuer),
    iam: {
      machine: credential(served.iam.machine),
      outsider: credential(served.iam.outsider),
      roles: Object.fromEntries(Object.entries(served.iam.roles).map(([role, c]) => [role, credential(c)])),
    },
    usage: served.usage,
    tables: {
      ...(served.tables.endpoint ? { endpoint: served.tables.endpoint } : {}),
      region: served.tables.region,
      credentials: served.tables.credentials,
      names: Object.fromEntries(served.tables.tables.map((t) => [t.logicalId, t.tableName])),
      unsupported: served.tables.unsupported.map((u) => u.reason),
    },
    close: () => served.close(),
  };
}
