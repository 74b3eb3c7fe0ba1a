/**
 * `keygate local`: every HTTP and REST API of one stack of a synthesized cloud assembly on 127.0.0.1, each
 * served by the local gateway (API Gateway's authorization semantics) in front of the stack's own Lambda
 * functions, run from their assets in child processes; tokens from the built-in issuer standing in for the
 * authorizer's trusted Keycloak realm, or from a real realm.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthorizerConfig } from '../../common/authorizer-config';
import { AUTHORIZER_CONFIG_ENV } from '../../common/authorizer-config';
import { routeKey } from '../../common/route-model';
import type { RouteSpec } from '../../common/route-model';
import { startLocalIssuer } from '../issuer';
import type { LocalIssuer } from '../issuer';
import { startLocalGateway } from '../gateway/local-gateway';
import type { GatewayRecord, LambdaFunction, LocalGateway, PublicRoute } from '../gateway/local-gateway';
import type { LocalIamCredential } from '../gateway/sigv4-check';
import type { AssemblyApi, AssemblyFunction, AssemblyStack } from './assembly-model';
import { AssemblyError } from './assembly-model';
import { keycloakIssuerOf, realmForIssuer, withLocalIssuer } from './assembly-issuer';
import { startFunctionProcess } from './function-process';
import type { FunctionProcess } from './function-process';
import { readAssembly } from './read-assembly';
import { localCredential, roleCredential } from './local-credentials';
import { grantCovers } from './read-iam-grants';
import { renderGatewayResponse } from './gateway-responses';

export interface ServeAssemblyOptions {
  /** The cloud assembly folder. @default 'cdk.out' */
  readonly app?: string;
  /** The stack to serve. @default - the assembly's only stack */
  readonly stack?: string;
  /** A real Keycloak realm URL instead of the built-in issuer. @default - the built-in issuer */
  readonly keycloak?: string;
  /** PEM file of the CA that signed the Keycloak's certificate. @default - the system's CAs */
  readonly keycloakCaFile?: string;
  /** @default 0 (any free port) */
  readonly issuerPort?: number;
  /** The first API's port; the next APIs take the following ports. @default 0 (any free port) */
  readonly gatewayPort?: number;
  /** Variables set in every function's environment, over the template's values and stand-ins. */
  readonly environment?: Readonly<Record<string, string>>;
  /** Print the functions' own output. @default false */
  readonly verbose?: boolean;
  readonly onRequest?: (api: AssemblyApi, record: GatewayRecord) => void;
}

export interface ServedApi {
  readonly api: AssemblyApi;
  readonly gateway: LocalGateway;
  readonly url: string;
}

export interface ServedAssembly {
  readonly stack: AssemblyStack;
  readonly apis: readonly ServedApi[];
  /** The built-in issuer (undefined with a real Keycloak realm or without a Keygate authorizer). */
  readonly issuer?: LocalIssuer;
  /** The realm URL the authorizers trust locally. */
  readonly issuerUrl?: string;
  /**
   * SigV4 test credentials: `machine` may call every IAM route, `outsider` none, and each role of the
   * stack (by logical id) the IAM routes its `execute-api:Invoke` grants cover.
   */
  readonly iam: {
    readonly machine: LocalIamCredential;
    readonly outsider: LocalIamCredential;
    readonly roles: Readonly<Record<string, LocalIamCredential>>;
  };
  close(): Promise<void>;
}

export async function serveAssembly(options: ServeAssemblyOptions = {}): Promise<ServedAssembly> {
  const stack = readAssembly(options.app ?? 'cdk.out', options.stack);
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c();
  };
  try {
    const trust = await localTrust(stack, options);
    if (trust.issuer) closers.push(() => trust.issuer!.close());
    const processes = new Map<string, FunctionProcess>();
    closers.push(() => processes.forEach((p) => p.close()));
    const functionOf = (fn: AssemblyFunction): LambdaFunction => {
      let p = processes.get(fn.id);
      if (!p) processes.set(fn.id, (p = startFunctionProcess(processOptions(fn, stack, trust, options))));
      return p.invoke;
    };
    const account = stack.account ?? '000000000000';
    const iam = {
      machine: localCredential(account, 'machine', ['*']),
      outsider: localCredential(account, 'outsider', []),
      roles: Object.fromEntries(
        [...new Set(stack.grants.map((g) => g.role))].map((role) => [role, roleCredential(account, role)]),
      ),
    };
    const apis: ServedApi[] = [];
    for (const [i, api] of stack.apis.entries()) {
      const port = options.gatewayPort ? options.gatewayPort + i : 0;
      const gateway = await startLocalGateway({
        ...gatewayRoutes(api, stack, functionOf),
        apiType: api.kind,
        responseMode: api.authorizer?.responseMode,
        cacheTtlSeconds: api.authorizer?.cacheTtlSeconds ?? 0,
        tokenHeader: api.authorizer?.identityHeaders[0] ?? 'Authorization',
        identitySource: api.authorizer && api.authorizer.identityHeaders.length === 0 ? 'none' : 'header',
        ...(api.cors?.allowOrigins.length ? { cors: api.cors } : {}),
        iamCredentials: [iam.machine, iam.outsider, ...grantedCredentials(api, stack, iam.roles)],
        region: stack.region,
        accountId: account,
        apiId: api.id.toLowerCase().slice(0, 10),
        port,
        onRequest: (record) => options.onRequest?.(api, record),
        gatewayResponse: (refusal) => renderGatewayResponse(api.gatewayResponses ?? {}, refusal),
      });
      closers.push(() => gateway.close());
      apis.push({ api, gateway, url: gateway.url });
    }
    return {
      stack,
      apis,
      ...(trust.issuer ? { issuer: trust.issuer } : {}),
      ...(trust.url ? { issuerUrl: trust.url } : {}),
      iam,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

interface LocalTrust {
  readonly issuer?: LocalIssuer;
  /** The deployed issuer URL and the local one replacing it in the authorizer's config. */
  readonly deployed?: string;
  readonly url?: string;
  /** A file with the built-in issuer's CA certificate, for the functions' NODE_EXTRA_CA_CERTS. */
  readonly caFile?: string;
}

/** The Keygate config of the stack's first authorizer that has one. */
function keygateConfigOf(stack: AssemblyStack): AuthorizerConfig | undefined {
  for (const api of stack.apis) {
    const raw = api.authorizer
      ? stack.functions[api.authorizer.functionId]?.environment[AUTHORIZER_CONFIG_ENV]
      : undefined;
    if (!raw) continue;
    try {
      return JSON.parse(raw) as AuthorizerConfig;
    } catch {
      throw new AssemblyError(
        `the ${AUTHORIZER_CONFIG_ENV} of authorizer ${api.authorizer!.functionId} is not JSON`,
      );
    }
  }
  return undefined;
}

async function localTrust(stack: AssemblyStack, options: ServeAssemblyOptions): Promise<LocalTrust> {
  const config = keygateConfigOf(stack);
  const trusted = config ? keycloakIssuerOf(config) : undefined;
  if (!config || !trusted) return {};
  if (options.keycloak) {
    // The app's own authorizer runs here, and its key fetcher speaks https only (INSECURE_HTTP_ISSUER).
    if (!/^https:\/\/[^/]+\/realms\/[^/]+\/?$/.test(options.keycloak)) {
      throw new AssemblyError(
        `--keycloak takes the https URL of a realm (https://host/realms/<name>): the app's authorizer fetches keys over https only, got '${options.keycloak}'`,
      );
    }
    return {
      deployed: trusted.issuer,
      url: options.keycloak.replace(/\/+$/, ''),
      ...(options.keycloakCaFile ? { caFile: options.keycloakCaFile } : {}),
    };
  }
  const issuer = await startLocalIssuer({
    realm: realmForIssuer(trusted, config),
    port: options.issuerPort ?? 0,
  });
  const caFile = issuer.ca ? join(mkdtempSync(join(tmpdir(), 'keygate-local-')), 'issuer-ca.pem') : undefined;
  if (caFile) writeFileSync(caFile, issuer.ca!, { mode: 0o644 });
  return { issuer, deployed: trusted.issuer, url: issuer.issuer, ...(caFile ? { caFile } : {}) };
}

/**
 * A function's environment: the template's literal values, a stand-in `local-<NAME>` for each value the
 * template only resolves at deploy time (a reference, a secret), the user's overrides, and Lambda's own
 * variables. An authorizer's Keygate config trusts the local realm.
 */
function processOptions(
  fn: AssemblyFunction,
  stack: AssemblyStack,
  trust: LocalTrust,
  options: ServeAssemblyOptions,
): Parameters<typeof startFunctionProcess>[0] {
  const environment: Record<string, string> = {
    ...Object.fromEntries(fn.unresolvedEnvironment.map((n) => [n, `local-${n}`])),
    ...fn.environment,
    AWS_REGION: stack.region,
    AWS_DEFAULT_REGION: stack.region,
    AWS_LAMBDA_FUNCTION_NAME: fn.id,
    AWS_LAMBDA_FUNCTION_TIMEOUT: String(fn.timeoutSeconds),
    ...(trust.caFile ? { NODE_EXTRA_CA_CERTS: trust.caFile } : {}),
    ...options.environment,
  };
  const raw = fn.environment[AUTHORIZER_CONFIG_ENV];
  if (raw && trust.deployed && trust.url) {
    environment[AUTHORIZER_CONFIG_ENV] = JSON.stringify(
      withLocalIssuer(JSON.parse(raw) as AuthorizerConfig, trust.deployed, trust.url),
    );
  }
  return {
    name: fn.id,
    codeDir: fn.codeDir && fn.inlineCode === undefined ? fn.codeDir : inlineFolder(fn.inlineCode ?? ''),
    handler: fn.handler,
    timeoutSeconds: fn.timeoutSeconds,
    environment,
    verbose: options.verbose,
  };
}

/** Inline code (`ZipFile`) is deployed as `index.js` (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-lambda-function-code.html). */
function inlineFolder(code: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-local-inline-'));
  writeFileSync(join(dir, 'index.js'), code);
  return dir;
}

/** The gateway's routes: authorized ones with their integrations; public and unsupported ones apart. */
function gatewayRoutes(
  api: AssemblyApi,
  stack: AssemblyStack,
  functionOf: (fn: AssemblyFunction) => LambdaFunction,
): {
  routes: RouteSpec[];
  publicRoutes: PublicRoute[];
  integrations: Record<string, LambdaFunction>;
  integration: LambdaFunction;
  authorizer: LambdaFunction;
} {
  const routes: RouteSpec[] = [];
  const publicRoutes: PublicRoute[] = [];
  const integrations: Record<string, LambdaFunction> = {};
  for (const r of api.routes) {
    const why = r.unsupported;
    const fn = r.functionId ? stack.functions[r.functionId] : undefined;
    if (why || !fn) {
      publicRoutes.push({
        method: r.method,
        path: r.path,
        integration: notImplemented(why ?? 'no function'),
      });
    } else if (r.auth === 'none') {
      publicRoutes.push({ method: r.method, path: r.path, integration: functionOf(fn) });
    } else {
      routes.push({ method: r.method, path: r.path, auth: r.auth });
      integrations[routeKey(r)] = functionOf(fn);
    }
  }
  const authorizerFn = api.authorizer ? stack.functions[api.authorizer.functionId] : undefined;
  const authorizer =
    authorizerFn && !authorizerFn.unsupported
      ? functionOf(authorizerFn)
      : () => Promise.reject(new Error(authorizerFn?.unsupported ?? 'no authorizer'));
  return {
    routes,
    publicRoutes,
    integrations,
    integration: () => Promise.reject(new Error('no integration')),
    authorizer,
  };
}

/** Each role's credential with the IAM routes of this API its grants cover. */
function grantedCredentials(
  api: AssemblyApi,
  stack: AssemblyStack,
  roles: Readonly<Record<string, LocalIamCredential>>,
): LocalIamCredential[] {
  return Object.entries(roles).map(([role, credential]) => {
    const grants = stack.grants.filter((g) => g.role === role && g.apiId === api.id);
    const routes = api.routes
      .filter((r) => r.auth === 'iam' && grants.some((g) => grantCovers(g, r.method, r.path)))
      .map((r) => routeKey(r));
    return { ...credential, routes };
  });
}

/** The answer of a route the local gateway cannot run: 501 and why. */
function notImplemented(message: string): LambdaFunction {
  return () =>
    Promise.resolve({
      statusCode: 501,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: `Not run locally: ${message}` }),
    });
}
