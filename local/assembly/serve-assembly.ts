/**
 * `keygate local`: every HTTP and REST API of one stack of a synthesized cloud assembly on 127.0.0.1, each
 * served by the local gateway (API Gateway's authorization semantics) in front of the stack's own Lambda
 * functions, run from their assets in child processes; tokens from built-in issuers standing in for the
 * authorizers' trusted Keycloak realms, or from a real realm.
 */
import { routeKey } from '../../common/route-model';
import type { RouteSpec } from '../../common/route-model';
import { startLocalGateway } from '../gateway/local-gateway';
import type {
  GatewayRecord,
  LambdaFunction,
  LocalGateway,
  LocalGatewayOptions,
  PublicRoute,
  StreamingLambdaFunction,
} from '../gateway/local-gateway';
import type { GatewayAuthorizer } from '../gateway/route-authorizers';
import type { LocalIssuer } from '../issuer';
import type { LocalIamCredential } from '../gateway/sigv4-check';
import type { AssemblyApi, AssemblyStack } from './assembly-model';
import { AssemblyError } from './assembly-model';
import { readAssembly, readStackResources } from './read-assembly';
import { startSecretsStandIn } from './secrets-stand-in';
import { authorizerDecisions } from './authorizer-decisions';
import type { LocalSecret } from './secrets-stand-in';
import { startDynamoDbStandIn } from './dynamodb-stand-in';
import type { LocalTables } from './dynamodb-stand-in';
import { localCredential, roleCredential } from './local-credentials';
import { grantCovers } from './read-iam-grants';
import { renderGatewayResponse } from './gateway-responses';
import { startLocalTrust } from './local-trust';
import type { LocalTrust, LocalTrustOptions } from './local-trust';
import { apiAuthorizers } from './api-authorizers';
import { functionRegistry } from './function-registry';
import type { FunctionRegistry } from './function-registry';
import { localUsagePlans } from './serve-usage-plans';
import { localApiStage, startApiGatewayStandIn } from './apigateway-stand-in';
import type { ServedUsage } from './serve-usage-plans';
import { integrationStandIns } from './integration-stand-ins';
import type { IntegrationReplacements, StandInOf } from './integration-stand-ins';

export interface ServeAssemblyOptions extends LocalTrustOptions {
  /** The cloud assembly folder. @default 'cdk.out' */
  readonly app?: string;
  /** The stack to serve. @default - the assembly's only stack */
  readonly stack?: string;
  /** The first API's port; the next APIs take the following ports. @default 0 (any free port) */
  readonly gatewayPort?: number;
  /** Serve only the APIs of these kinds. @default - every HTTP and REST API of the stack */
  readonly apiKinds?: readonly ('http' | 'rest')[];
  /** Variables set in every function's environment, over the template's values and stand-ins. */
  readonly environment?: Readonly<Record<string, string>>;
  /** Print the functions' own output. @default false */
  readonly verbose?: boolean;
  /**
   * The `machine` caller (every IAM route): its keys, and the principal it signs as.
   * @default - random keys per run, the user `keygate-local-machine`
   */
  readonly machineCredential?: Partial<
    Pick<LocalIamCredential, 'accessKeyId' | 'secretAccessKey' | 'callerArn' | 'callerId'>
  >;
  /** Called after each request; `authorizerReason` is a Keygate authorizer's reason code for its decision. */
  readonly onRequest?: (api: AssemblyApi, record: AssemblyGatewayRecord) => void;
  /**
   * The result cache TTL of every API's Lambda authorizer, in place of the template's (e.g. 0 so that every
   * request reaches the authorizer). @default - each authorizer's own
   */
  readonly cacheTtlSeconds?: number;
  /** Called with each event the gateway passes to an API's Lambda authorizer, before the function runs. */
  readonly onAuthorizerInvoked?: (api: AssemblyApi, event: unknown) => void;
  /**
   * Values of the stack's Secrets Manager secrets, by logical id (or by the id a function asks for),
   * served to the functions by the local secrets stand-in (secrets-stand-in.ts). @default - generated per run
   */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Epoch milliseconds: the gateways' clock (usage plans, result cache, SigV4 freshness). @default Date.now */
  readonly now?: () => number;
  /**
   * In-process functions answering routes in place of their integrations (integration-stand-ins.ts), e.g.
   * one that records the event the gateway built. @default - every route runs its own function
   */
  readonly replaceIntegrations?: IntegrationReplacements;
}

export interface AssemblyGatewayRecord extends GatewayRecord {
  readonly authorizerReason?: string;
}

export interface ServedApi {
  readonly api: AssemblyApi;
  readonly gateway: LocalGateway;
  readonly url: string;
}

/** SigV4 test credentials of a served stack. */
export interface LocalIamCredentials {
  /** May call every IAM route. */
  readonly machine: LocalIamCredential;
  /** May call none. */
  readonly outsider: LocalIamCredential;
  /** Each role of the stack (by logical id): the IAM routes its `execute-api:Invoke` grants cover. */
  readonly roles: Readonly<Record<string, LocalIamCredential>>;
}

export interface ServedAssembly {
  readonly stack: AssemblyStack;
  readonly apis: readonly ServedApi[];
  /** The built-in issuer of the first trusted realm (undefined with a real Keycloak realm or without one). */
  readonly issuer?: LocalIssuer;
  /** A built-in issuer per trusted Keycloak realm, in the order of the authorizer's config. */
  readonly issuers: readonly LocalIssuer[];
  /** The realm URL the authorizers trust locally in place of the first deployed one. */
  readonly issuerUrl?: string;
  readonly iam: LocalIamCredentials;
  /** The values the functions read as their Secrets Manager secrets in this run. */
  readonly secrets: readonly LocalSecret[];
  /** The stack's REST usage plans as enforced in this run, with their key values (serve-usage-plans.ts). */
  readonly usage: ServedUsage;
  /** The stack's DynamoDB tables, served by a local stand-in (dynamodb-stand-in.ts): endpoint and names. */
  readonly tables: LocalTables;
  close(): Promise<void>;
}

export async function serveAssembly(options: ServeAssemblyOptions = {}): Promise<ServedAssembly> {
  const stack = readAssembly(options.app ?? 'cdk.out', options.stack);
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c();
  };
  try {
    const trust = await startLocalTrust(stack, options);
    closers.push(() => trust.close());
    const resources = readStackResources(options.app ?? 'cdk.out', stack.name);
    const secrets = await startSecretsStandIn(resources, {
      ...(options.secrets ? { secrets: options.secrets } : {}),
    });
    closers.push(() => secrets.close());
    const usage = localUsagePlans(stack, secrets.secrets, options.now);
    const apiGateway = await startApiGatewayStandIn(stack.apis, usage);
    if (apiGateway) closers.push(() => apiGateway.close());
    const dynamo = await startDynamoDbStandIn(resources, stack.region);
    closers.push(() => dynamo.close());
    // The authorizers' decision lines name the reason of each request's answer (only when asked for).
    const decisions = options.onRequest ? authorizerDecisions() : undefined;
    const authorizerIds = new Set(stack.apis.flatMap((a) => (a.authorizer ? [a.authorizer.functionId] : [])));
    const functions = functionRegistry(stack, trust, {
      ...options,
      environment: {
        ...secrets.environment,
        ...apiGateway?.environment,
        ...dynamo.environment,
        ...options.environment,
      },
      ...(decisions
        ? { onFunctionLog: (fn, text) => (authorizerIds.has(fn.id) ? decisions.read(text) : undefined) }
        : {}),
    });
    closers.push(() => functions.close());
    const iam = localIamCredentials(stack, options.machineCredential);
    const apis: ServedApi[] = [];
    const toServe = servedApis(stack, options.apiKinds);
    const standIns = integrationStandIns(stack, toServe, options.replaceIntegrations);
    for (const [i, api] of toServe.entries()) {
      const opts = gatewayOptions(api, stack, { functions, standIns }, iam, trust, {
        port: options.gatewayPort ? options.gatewayPort + i : 0,
        ...(options.now ? { now: options.now } : {}),
        onRequest: (record) => {
          const reason = decisions?.take(record.requestId);
          options.onRequest?.(api, { ...record, ...(reason ? { authorizerReason: reason } : {}) });
        },
      });
      const limiter = usage.limiterFor(api);
      const gateway = await startLocalGateway(
        observed(
          { ...opts, ...(limiter ? { usage: limiter } : {}) },
          options.cacheTtlSeconds,
          options.onAuthorizerInvoked && ((e) => options.onAuthorizerInvoked!(api, e)),
        ),
      );
      closers.push(() => gateway.close());
      apis.push({ api, gateway, url: gateway.url });
    }
    const first = trust.realms[0];
    return {
      stack,
      apis,
      ...(first?.issuer ? { issuer: first.issuer } : {}),
      issuers: trust.realms.flatMap((r) => (r.issuer ? [r.issuer] : [])),
      ...(first ? { issuerUrl: first.url } : {}),
      iam,
      secrets: secrets.secrets,
      usage: usage.served,
      tables: dynamo.tables,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * The gateway options with the caller's overrides: every authorizer (the gateway's own and each route's)
 * reports its invocations to `onInvoked` and, with `ttl`, caches for that long. One wrapper per authorizer,
 * so the routes naming it still share one state and result cache.
 */
function observed(
  opts: LocalGatewayOptions,
  ttl: number | undefined,
  onInvoked: ((event: unknown) => void) | undefined,
): LocalGatewayOptions {
  const watch =
    (fn: LambdaFunction): LambdaFunction =>
    (event) => {
      onInvoked?.(event);
      return fn(event);
    };
  const wrapped = new Map<GatewayAuthorizer, GatewayAuthorizer>();
  const wrap = (a: GatewayAuthorizer): GatewayAuthorizer =>
    wrapped.get(a) ??
    wrapped
      .set(a, {
        ...a,
        authorizer: watch(a.authorizer),
        ...(ttl !== undefined ? { cacheTtlSeconds: ttl } : {}),
      })
      .get(a)!;
  return {
    ...opts,
    ...(ttl !== undefined ? { cacheTtlSeconds: ttl } : {}),
    authorizer: watch(opts.authorizer),
    ...(opts.routeAuthorizers
      ? {
          routeAuthorizers: Object.fromEntries(
            Object.entries(opts.routeAuthorizers).map(([k, a]) => [k, wrap(a)]),
          ),
        }
      : {}),
  };
}

function servedApis(stack: AssemblyStack, kinds: ServeAssemblyOptions['apiKinds']): readonly AssemblyApi[] {
  if (!kinds) return stack.apis;
  const apis = stack.apis.filter((a) => kinds.includes(a.kind));
  if (apis.length === 0)
    throw new AssemblyError(`stack ${stack.name} has no ${kinds.join(' or ').toUpperCase()} API`);
  return apis;
}

/** The stack's SigV4 callers: `machine`, `outsider` and one per role named by an invoke grant. */
function localIamCredentials(
  stack: AssemblyStack,
  fixed: ServeAssemblyOptions['machineCredential'],
): LocalIamCredentials {
  const account = stack.account ?? '000000000000';
  return {
    machine: { ...localCredential(account, 'machine', ['*']), ...(fixed ?? {}) },
    outsider: localCredential(account, 'outsider', []),
    roles: Object.fromEntries(
      [...new Set(stack.grants.map((g) => g.role))].map((role) => [role, roleCredential(account, role)]),
    ),
  };
}

/** One API's gateway: its authorizer as the template configures it, its routes, CORS and IAM callers. */
function gatewayOptions(
  api: AssemblyApi,
  stack: AssemblyStack,
  run: RouteFunctions,
  iam: LocalIamCredentials,
  trust: LocalTrust,
  served: Pick<LocalGatewayOptions, 'port' | 'onRequest' | 'now'>,
): LocalGatewayOptions {
  const routes = gatewayRoutes(api, stack, run);
  return {
    ...routes,
    // Each authorized route calls the authorizer it names, with that authorizer's own settings and cache.
    ...apiAuthorizers(api, stack, run.functions, trust, routes.integrations ?? {}),
    apiType: api.kind,
    ...(api.cors?.allowOrigins.length ? { cors: api.cors } : {}),
    iamCredentials: [iam.machine, iam.outsider, ...grantedCredentials(api, stack, iam.roles)],
    region: stack.region,
    accountId: stack.account ?? '000000000000',
    ...localApiStage(api),
    gatewayResponse: (refusal) => renderGatewayResponse(api.gatewayResponses ?? {}, refusal),
    ...served,
  };
}

/** How routes' integrations run: the stack's functions, or the caller's stand-ins for some routes. */
interface RouteFunctions {
  readonly functions: FunctionRegistry;
  readonly standIns: StandInOf;
}

/** The gateway's routes: authorized ones with their integrations; public and unsupported ones apart. */
function gatewayRoutes(
  api: AssemblyApi,
  stack: AssemblyStack,
  { functions, standIns }: RouteFunctions,
): Pick<
  LocalGatewayOptions,
  'routes' | 'publicRoutes' | 'integrations' | 'integration' | 'streaming' | 'payloadV1Routes'
> {
  const routes: RouteSpec[] = [];
  const publicRoutes: PublicRoute[] = [];
  const integrations: Record<string, LambdaFunction> = {};
  const streamRoutes: string[] = [];
  const streamFunctions = new Map<string, StreamingLambdaFunction>();
  for (const r of api.routes) {
    const fn = r.functionId ? stack.functions[r.functionId] : undefined;
    if (r.unsupported || !fn) {
      publicRoutes.push({
        method: r.method,
        path: r.path,
        integration: notImplemented(r.unsupported ?? 'no function'),
      });
      continue;
    }
    const standIn = standIns(r, fn);
    const invoke = standIn?.invoke ?? functions.invoke(fn);
    // REST `ResponseTransferMode: STREAM`: passed on as the function writes it.
    const stream = r.streaming ? (standIn ? standIn.stream : functions.invokeStream(fn)) : undefined;
    if (r.auth === 'none') {
      publicRoutes.push({
        method: r.method,
        path: r.path,
        integration: invoke,
        ...(stream ? { stream } : {}),
      });
    } else {
      routes.push({ method: r.method, path: r.path, auth: r.auth });
      integrations[routeKey(r)] = invoke;
      if (stream) {
        streamRoutes.push(routeKey(r));
        streamFunctions.set(routeKey(r), stream);
      }
    }
  }
  return {
    routes,
    publicRoutes,
    integrations,
    integration: () => Promise.reject(new Error('no integration')),
    ...(streamRoutes.length > 0
      ? {
          streaming: {
            routes: streamRoutes,
            integration: (event, responseStream) => {
              const key = (event as { requestContext?: { resourcePath?: string; httpMethod?: string } })
                .requestContext;
              const fn = streamFunctions.get(`${key?.httpMethod} ${key?.resourcePath}`);
              if (!fn) return Promise.reject(new Error('no streaming function'));
              return fn(event, responseStream);
            },
          },
        }
      : {}),
    payloadV1Routes: api.routes.filter((r) => r.payloadFormat === '1.0').map((r) => routeKey(r)),
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
