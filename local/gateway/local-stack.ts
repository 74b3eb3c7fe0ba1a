/**
 * The whole stack on loopback, from one stage config: the local issuer serving the realm generated from
 * that stage (realm as code) — or a real Keycloak realm (`keycloak` option) — the real authorizer handler (its config built and loaded the way the
 * Lambda loads it, its verifier trusting the issuer's certificate), the real model backend handler, and
 * the gateway in front of them. `npm start`, `npm run demo`, the end-to-end tests and the gateway
 * benchmark all start it here.
 */
import { randomBytes } from 'node:crypto';
import { SimpleFetcher } from 'aws-jwt-verify/https';
import type { Writable } from 'node:stream';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { StageConfig } from '../../common/app-config';
import { COGNITO_FEDERATION_ISSUER } from '../../common/app-config';
import {
  AUTHORIZER_CONFIG_ENV,
  DEFAULTS,
  INSECURE_HTTP_ISSUER,
  validateSessionBlock,
} from '../../common/authorizer-config';
import type { AuthorizerConfig } from '../../common/authorizer-config';
import type { ReasonCode } from '../../common/reason-codes';
import type { Requirement, RouteSpec } from '../../common/route-model';
import { routeKey } from '../../common/route-model';
import { createHandler as createAuthorizerHandler } from '../../lambda/authorizer/handler';
import { createBindingCheck } from '../../lambda/authorizer/token-binding';
import { MemoryReplayStore } from '../../lambda/authorizer/replay-store';
import { createSessionSupport } from '../../lambda/authorizer/session-support';
import type { DecisionLine, DecisionLog } from '../../lambda/authorizer/decision-log';
import { createDecisionLog } from '../../lambda/authorizer/decision-log';
import { loadConfig } from '../../lambda/authorizer/load-config';
import { MODEL_INVOKE_PATH } from '../../common/model-contract';
import { withoutStepUp } from '../../common/step-up';
import { createTokenVerifier, DeadlineFetcher } from '../../lambda/authorizer/verify-token';
import { createHandler as createModelsHandler } from '../../lambda/models/handler';
import { validateBackendConfig } from '../../common/model-backend-config';
import { createModelInvoker } from '../../lambda/models/model-invoker';
import { createModelStreamer } from '../../lambda/models/model-streamer';
import { createStreamHandler } from '../../lambda/models/stream-handler';
import { powertoolsUsageSink } from '../../lambda/models/usage-metrics';
import { USAGE_NAMESPACE } from '../../common/usage-record';
import type { BackendLogger } from '../../lambda/models/audit';
import { buildRealm } from '../../realm/realm-definition';
import { createSignIn } from '../../lambda/sign-in/sign-in';
import { SIGN_IN_DEFAULTS } from '../../common/sign-in-config';
import { SIGN_IN_ROUTES } from '../../common/sign-in-routes';
import type { SignInConfig } from '../../common/sign-in-config';
import { createOidcClient } from '../../lambda/sign-in/oidc-client';
import { staticKeyProvider } from '../../common/session/session-keys';
import { parseProxyEvent, toProxyResult } from '../../lambda/sign-in/api-event';
import type { VerifierEvents } from '../../lambda/authorizer/types';
import type { KeycloakRealmOptions, StackIssuer } from '../stack-issuer';
import { startLocalIssuer } from '../issuer';
import { keycloakRealmUrls } from '../keycloak-urls';
import type { LocalIssuer, RealmRepresentation } from '../issuer';
import { assertLoopbackOrHttps, loopbackPostForm } from '../http/loopback-transport';
import { localStreamingRuntime } from './lambda-response-stream';
import { startLocalGateway } from './local-gateway';
import { createLocalUsageTiers } from './usage-limiter';
import type { LocalUsageTiers } from './usage-limiter';
import { LoopbackHttpFetcher } from './loopback-fetcher';
import { localRevocation } from './local-revocation';
import { stageTokenBinding } from '../../common/stage-token-binding';
import type { MemoryRevocationStore } from '../../lambda/revocation/revocation-store';
import type { GatewayRecord, LocalGateway, LambdaFunction, StreamingLambdaFunction } from './local-gateway';
import type { ApiType } from './api-events';
import type { LocalIamCredential } from './sigv4-check';

export type { KeycloakRealmOptions, RealmSecrets, StackIssuer } from '../stack-issuer';

export interface LocalStackOptions {
  readonly stage: StageConfig;
  /** @default 'http' */
  readonly apiType?: ApiType;
  /** @default 0 */
  readonly issuerPort?: number;
  /** @default 0 */
  readonly gatewayPort?: number;
  /** @default the stage's authorizer.cacheTtlSeconds, else 300 */
  readonly cacheTtlSeconds?: number;
  /** @default 300 */
  readonly accessTokenTtl?: number;
  /** Test-user passwords by username. @default - random per run */
  readonly passwords?: Readonly<Record<string, string>>;
  /** Access key id and secret of the local machine caller. @default - random per run */
  readonly machineCredential?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Print the authorizer's and the backend's JSON log lines. @default false */
  readonly verboseLogs?: boolean;
  readonly onRequest?: (record: GatewayRecord & { readonly authorizerReason?: ReasonCode }) => void;
  /** Epoch milliseconds for the gateway (cache TTL, SigV4 freshness). @default Date.now */
  readonly now?: () => number;
  /** Replaces the model backend as the routes' integration (e.g. one that echoes what it received). */
  readonly integration?: LambdaFunction;
  /** Counts (or wraps) authorizer invocations; called with the event before the real handler runs. */
  readonly onAuthorizerInvoked?: (event: unknown) => void;
  /**
   * Browser sign-in: the sign-in routes (/auth/login, /auth/callback, /auth/refresh, /auth/logout) served by
   * the real sign-in core, the people client allowing the gateway's callback, the authorizer configured to
   * read the session cookie (no identity sources, no caching). @default false
   */
  readonly signIn?: boolean;
  /**
   * A real Keycloak realm instead of the built-in issuer: the authorizer and the sign-in routes trust it,
   * fetching its keys over https, or over http from a loopback address only. @default - the built-in issuer
   */
  readonly keycloak?: KeycloakRealmOptions;
}

export interface LocalStack<I extends StackIssuer = LocalIssuer> {
  readonly issuer: I;
  readonly gateway: LocalGateway;
  readonly stage: StageConfig;
  readonly authorizerConfig: AuthorizerConfig;
  /** With the stage's `revocation`: the list the back-channel logout endpoint writes (in memory). */
  readonly revocationStore?: MemoryRevocationStore;
  /** The IAM caller allowed on the stage's IAM routes, and one allowed on none. */
  readonly iam: { readonly machine: LocalIamCredential; readonly outsider: LocalIamCredential };
  readonly region: string;
  /** REST API with the stage's `usageTiers`: the local usage plans (an IAM role's X-API-Key: `iamKeyFor`). */
  readonly usageTiers?: LocalUsageTiers;
  close(): Promise<void>;
}

const LOCAL_ACCOUNT = '000000000000';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** An access key id shaped like AWS's (20 characters, `AKIA` prefix for long-term keys). */
function accessKeyId(): string {
  const bytes = randomBytes(16);
  return `AKIA${[...bytes].map((b) => ALNUM[b % ALNUM.length]).join('')}`;
}

function secretAccessKey(): string {
  return randomBytes(30).toString('base64');
}

/**
 * The route table in the shape the authorizer config and the gateway share. With `localIssuer`, a
 * requirement's issuer scope names the local issuer where the stage names its realm; the local stack
 * runs no Cognito pool, so a route scoped to the federated pool alone cannot be run locally.
 */
export function routeSpecs(stage: StageConfig, localIssuer?: string): RouteSpec[] {
  return stage.routes.map((r) => ({
    method: r.method,
    path: r.path,
    auth: r.auth,
    ...(r.requirement
      ? {
          requirement: localIssuer
            ? localRequirement(stage, r.requirement, localIssuer, routeKey(r))
            : r.requirement,
        }
      : {}),
  }));
}

function localRequirement(
  stage: StageConfig,
  req: Requirement,
  localIssuer: string,
  route: string,
): Requirement {
  if (req.issuers === undefined) return req;
  const issuers = req.issuers.filter((i) => i === stage.keycloak.issuer).map(() => localIssuer);
  if (issuers.length === 0) {
    throw new Error(
      `${route}: the local stack has no Cognito user pool, and this route is scoped to ${COGNITO_FEDERATION_ISSUER} alone`,
    );
  }
  return { ...req, issuers };
}

/**
 * What the constructs would trust for this stage: the realm's issuer, its clients and the API audience,
 * and the result cache TTL the gateway applies (the constructs pass theirs the same way).
 */
export function localAuthorizerConfig(
  stage: StageConfig,
  issuerUrl: string,
  resultCacheTtlSeconds: number = stage.authorizer?.cacheTtlSeconds ?? 300,
): AuthorizerConfig {
  const kc = stage.keycloak;
  return {
    version: 1,
    issuers: [
      {
        kind: 'keycloak',
        issuer: issuerUrl,
        allowedClients: [kc.peopleClientId, ...(kc.serviceAccounts ?? []).map((s) => s.clientId)],
        allowedAudiences: [kc.audience ?? kc.apiClientId],
        ...(kc.algorithms ? { algorithms: [...kc.algorithms] } : {}),
        roleClients: [kc.apiClientId],
        ...(kc.acrLoaMap ? { acrLoaMap: { ...kc.acrLoaMap } } : {}),
        ...(kc.insecureHttpIssuerForDevelopmentOnly
          ? { insecureHttpIssuerForDevelopmentOnly: true, ...(kc.jwksUri ? { jwksUri: kc.jwksUri } : {}) }
          : {}),
      },
    ],
    routes: routeSpecs(stage, issuerUrl),
    responseMode: stage.authorizer?.responseMode ?? 'iam',
    resultCacheTtlSeconds,
    ...(stage.authorizer?.clockSkewSeconds !== undefined
      ? { clockSkewSeconds: stage.authorizer.clockSkewSeconds }
      : {}),
  };
}

const quiet: BackendLogger = { info() {}, warn() {}, error() {} };

/** The stack's functions, bound once the issuer and the authorizer exist (the gateway listens first). */
interface LateFunctions {
  authorizer?: LambdaFunction;
  integration?: LambdaFunction;
  streamIntegration?: StreamingLambdaFunction;
  signIn?: LambdaFunction;
}

function bound(pick: () => LambdaFunction | undefined): LambdaFunction {
  return (event) => {
    const fn = pick();
    if (!fn) return Promise.reject(new Error('the local stack is still starting'));
    return fn(event);
  };
}

/** The IAM caller allowed on the stage's IAM routes, and one allowed on none. */
function localIamCallers(
  options: LocalStackOptions,
  account: string,
): { machine: LocalIamCredential; outsider: LocalIamCredential; iamRoutes: string[] } {
  const iamRoutes = options.stage.routes.filter((r) => r.auth === 'iam').map((r) => routeKey(r));
  return {
    iamRoutes,
    machine: {
      accessKeyId: options.machineCredential?.accessKeyId ?? accessKeyId(),
      secretAccessKey: options.machineCredential?.secretAccessKey ?? secretAccessKey(),
      callerArn: `arn:aws:sts::${account}:assumed-role/keygate-local-machine/local`,
      callerId: 'AROALOCALKEYGATEMACH:local',
      routes: iamRoutes,
    },
    outsider: {
      accessKeyId: accessKeyId(),
      secretAccessKey: secretAccessKey(),
      callerArn: `arn:aws:iam::${account}:user/keygate-local-outsider`,
      callerId: 'AIDALOCALKEYGATEOUTS',
      routes: [],
    },
  };
}

/** What the stack's gateway needs beyond the options: its callers, its extras, its late-bound functions. */
interface StackGatewayParts {
  readonly late: LateFunctions;
  readonly machine: LocalIamCredential;
  readonly outsider: LocalIamCredential;
  readonly account: string;
  readonly cacheTtlSeconds: number;
  readonly revocation: ReturnType<typeof localRevocation>;
  readonly usageTiers: ReturnType<typeof createLocalUsageTiers> | undefined;
  readonly decisions: Map<string, DecisionLine>;
}

/** The gateway over the stage's route table: streaming routes on REST only, as the app deploys them. */
function startStackGateway(options: LocalStackOptions, parts: StackGatewayParts): Promise<LocalGateway> {
  const { stage } = options;
  const { late } = parts;
  const rest = options.apiType === 'rest';
  const streamRoutes = stage.routes.filter((r) => r.stream === true).map((r) => routeKey(r));
  return startLocalGateway({
    routes: routeSpecs(stage).filter((r) => rest || !streamRoutes.includes(routeKey(r))),
    ...(rest && streamRoutes.length > 0
      ? {
          streaming: {
            routes: streamRoutes,
            integration: (event: unknown, responseStream: Writable) => {
              const fn = late.streamIntegration;
              if (!fn) return Promise.reject(new Error('the local stack is still starting'));
              return fn(event, responseStream);
            },
          },
        }
      : {}),
    authorizer: (event) => {
      options.onAuthorizerInvoked?.(event);
      return bound(() => late.authorizer)(event);
    },
    integration: bound(() => late.integration),
    apiType: options.apiType,
    responseMode: stage.authorizer?.responseMode,
    cacheTtlSeconds: parts.cacheTtlSeconds,
    identitySource: options.signIn ? 'none' : 'header',
    // The constructs' CORS defaults: the stage's origins, Authorization and Content-Type headers, 10 minutes.
    cors: stage.cors
      ? {
          allowOrigins: [...stage.cors.allowOrigins],
          allowHeaders: ['Authorization', 'Content-Type'],
          maxAgeSeconds: 600,
        }
      : undefined,
    publicRoutes: [
      ...(options.signIn
        ? SIGN_IN_ROUTES.flatMap(({ path, methods }) =>
            methods.map((method) => ({ method, path, integration: bound(() => late.signIn) })),
          )
        : []),
      ...(parts.revocation ? [parts.revocation.route] : []),
    ],
    iamCredentials: [parts.machine, parts.outsider],
    ...(parts.usageTiers ? { usage: parts.usageTiers.limiter } : {}),
    region: stage.region,
    accountId: parts.account,
    port: options.gatewayPort ?? 0,
    now: options.now,
    onRequest: (record) => {
      const line = parts.decisions.get(record.requestId);
      parts.decisions.delete(record.requestId);
      options.onRequest?.({ ...record, ...(line ? { authorizerReason: line.reason } : {}) });
    },
  });
}

/**
 * The stage as the stack's realm sees it (a real realm named by its URL, with sign-in the gateway's
 * callback allowed) and the realm definition built from it.
 */
function stackRealm(
  options: LocalStackOptions,
  gatewayUrl: string,
  revocation: ReturnType<typeof localRevocation>,
): { realmStage: StageConfig; realm: RealmRepresentation } {
  const { stage } = options;
  const kcRealm = options.keycloak;
  const callback = `${gatewayUrl}${SIGN_IN_DEFAULTS.paths.callback}`;
  const realmStage: StageConfig = {
    ...(revocation ? revocation.realmStage(stage, gatewayUrl) : stage),
    keycloak: {
      ...stage.keycloak,
      // A real realm is named by its URL (the stage's realm name, or the one the user points at). A
      // development Keycloak's `iss` is http: the local stack sets the deliberate opt-in for it, and its
      // keys come from a loopback address only (assertLoopbackOrHttps, LoopbackHttpFetcher).
      ...(kcRealm
        ? {
            issuer: kcRealm.realmUrl,
            ...(kcRealm.realmUrl.startsWith('http:') ? { [INSECURE_HTTP_ISSUER]: true } : {}),
          }
        : {}),
      ...(options.signIn
        ? {
            redirectUris: [...(stage.keycloak.redirectUris ?? []), callback],
            webOrigins: [...(stage.keycloak.webOrigins ?? []), gatewayUrl],
          }
        : {}),
    },
  };
  const realm = buildRealm(realmStage, {
    includeTestUsers: true,
    directAccessGrants: true,
    testUserPasswords: options.passwords,
  });
  if (options.signIn) {
    // The post-logout landing page is the gateway itself (Keycloak: `post.logout.redirect.uris`).
    const people = realm.clients?.find((c) => c.clientId === stage.keycloak.peopleClientId);
    if (people)
      people.attributes = { ...people.attributes, 'post.logout.redirect.uris': `+##${gatewayUrl}/` };
  }
  return { realmStage, realm };
}

/** The authorizer's config as the constructs would write it, loaded exactly as the Lambda loads it. */
function stackAuthorizerConfig(
  options: LocalStackOptions,
  realmStage: StageConfig,
  issuerUrl: string,
  gatewayUrl: string,
  parts: StackGatewayParts,
  cookieKeys: string | undefined,
): { authorizerConfig: AuthorizerConfig; loaded: ReturnType<typeof loadConfig> } {
  const { stage } = options;
  const withoutRevocation: AuthorizerConfig = {
    ...localAuthorizerConfig(realmStage, issuerUrl, options.signIn ? 0 : parts.cacheTtlSeconds),
    ...(cookieKeys
      ? {
          session: {
            keysSecretId: LOCAL_KEYS_SECRET_ID,
            browserRoutes: stage.routes
              .filter((r) => r.browser && r.method === 'GET')
              .map((r) => routeKey(r)),
          },
        }
      : {}),
    ...(parts.usageTiers ? { usage: parts.usageTiers.authorizerBlock } : {}),
    // Proofs name the URL the client called: this gateway's own (http on 127.0.0.1).
    ...(stage.tokenBinding
      ? {
          tokenBinding: stageTokenBinding(
            stage.tokenBinding,
            (name) => (name === stage.keycloak.issuer ? issuerUrl : undefined),
            gatewayUrl,
          ),
        }
      : {}),
  };
  const authorizerConfig = parts.revocation
    ? parts.revocation.authorizerConfig(withoutRevocation)
    : withoutRevocation;
  // Loaded exactly as the Lambda loads it: from the environment variable, validated at cold start.
  const loaded = loadConfig(
    { [AUTHORIZER_CONFIG_ENV]: JSON.stringify(authorizerConfig) },
    validateSessionBlock,
  );
  if (!loaded.ok) throw new Error(`local authorizer config is invalid: ${loaded.errors.join('; ')}`);
  return { authorizerConfig, loaded };
}

/** The real authorizer handler over that config, its decisions recorded for the request log. */
function stackAuthorizer(
  options: LocalStackOptions,
  config: { authorizerConfig: AuthorizerConfig; loaded: ReturnType<typeof loadConfig> },
  parts: StackGatewayParts,
  issuerCa: string | undefined,
  cookieKeys: string | undefined,
): LambdaFunction {
  const { authorizerConfig, loaded } = config;
  const printed = options.verboseLogs ? createDecisionLog() : undefined;
  const log: DecisionLog = {
    decision(line) {
      if (line.requestId) parts.decisions.set(line.requestId, line);
      printed?.decision(line);
    },
    jwksFailure(issuerUrl, reason) {
      printed?.jwksFailure(issuerUrl, reason);
    },
    configInvalid(errors) {
      console.error('authorizer configuration invalid:', errors.join('; '));
    },
  };
  return createAuthorizerHandler({
    config: loaded,
    createVerifier: (c: AuthorizerConfig, events: VerifierEvents) =>
      createTokenVerifier(c, {
        events,
        // https as deployed; http only to a loopback address (a development Keycloak on this machine).
        fetcher: new LoopbackHttpFetcher(
          new DeadlineFetcher(c.jwksTimeoutMs ?? DEFAULTS.jwksTimeoutMs, { ca: issuerCa }),
          c.jwksTimeoutMs ?? DEFAULTS.jwksTimeoutMs,
        ),
      }),
    log,
    ...(parts.usageTiers
      ? { readSecret: parts.usageTiers.readSecret, usageKeyRegistrar: parts.usageTiers.registrar }
      : {}),
    // The cookie keyring, for an authorizer that reads browser sessions (ignored by one that does not).
    ...(cookieKeys && authorizerConfig.session
      ? { sessions: createSessionSupport(authorizerConfig.session, staticKeyProvider(cookieKeys)) }
      : {}),
    ...(parts.revocation ? { revocationStore: parts.revocation.store } : {}),
    // Token binding with the DPoP replay store in memory (one process), whatever table the config names.
    ...(authorizerConfig.tokenBinding
      ? { binding: createBindingCheck(authorizerConfig, { replayStore: new MemoryReplayStore() }) }
      : {}),
  }) as LambdaFunction;
}

/** The real model backend (buffered and streaming), with the local machine caller among its callers. */
function stackBackends(
  options: LocalStackOptions,
  issuerUrl: string,
  iam: { account: string; iamRoutes: string[] },
): { integration: LambdaFunction; streamIntegration: StreamingLambdaFunction; destroy(): void } {
  const { stage } = options;
  const region = stage.region;
  const invokeRoute = stage.routes.find((r) => r.method === 'POST' && r.path === MODEL_INVOKE_PATH);
  const backendConfig = validateBackendConfig({
    models: stage.models,
    ...(invokeRoute?.requirement
      ? {
          invokeRequirement: localRequirement(
            stage,
            withoutStepUp(invokeRoute.requirement),
            issuerUrl,
            routeKey(invokeRoute),
          ),
        }
      : {}),
    machineCallers: [
      { principalArn: `arn:aws:iam::${iam.account}:role/keygate-local-machine`, routes: iam.iamRoutes },
      ...(stage.machinePrincipals ?? []).map((p) => ({ principalArn: p.roleArn, routes: [...p.routes] })),
    ],
    logContent: false,
  });
  const backendLogger: BackendLogger = options.verboseLogs
    ? {
        info: (m, a) => console.log(JSON.stringify({ level: 'INFO', message: m, ...a })),
        warn: (m, a) => console.log(JSON.stringify({ level: 'WARN', message: m, ...a })),
        error: (m, a) => console.log(JSON.stringify({ level: 'ERROR', message: m, ...a })),
      }
    : quiet;
  let bedrock: BedrockRuntimeClient | undefined;
  let sagemaker: SageMakerRuntimeClient | undefined;
  const clients = {
    bedrock: () => (bedrock ??= new BedrockRuntimeClient({ region, maxAttempts: 2 })),
    sagemaker: () => (sagemaker ??= new SageMakerRuntimeClient({ region, maxAttempts: 2 })),
  };
  // With verbose logs, the usage lines too, exactly as the Lambda prints them (`npm run usage -- --file`).
  const usage = options.verboseLogs
    ? powertoolsUsageSink(new Metrics({ namespace: USAGE_NAMESPACE, serviceName: 'keygate-models' }))
    : undefined;
  const backend = createModelsHandler({
    config: backendConfig,
    invoke: createModelInvoker(clients),
    logger: backendLogger,
    ...(usage ? { usage } : {}),
  });
  return {
    integration: options.integration ?? (backend as LambdaFunction),
    // The streaming function, with Lambda's response streaming played by the local stand-in.
    streamIntegration: createStreamHandler({
      config: backendConfig,
      stream: createModelStreamer(clients),
      logger: backendLogger,
      ...(usage ? { usage } : {}),
      httpResponseStream: localStreamingRuntime.HttpResponseStream,
    }),
    destroy: () => {
      bedrock?.destroy();
      sagemaker?.destroy();
    },
  };
}

/** The sign-in routes, served by the real sign-in core with this run's cookie keyring. */
function stackSignIn(
  options: LocalStackOptions,
  issuer: StackIssuer,
  gatewayUrl: string,
  cookieKeys: string,
): LambdaFunction {
  const issuerCa = issuer.ca;
  // Keys and tokens of a real Keycloak: https, or http from a loopback address (a dev Keycloak).
  const transport = options.keycloak
    ? {
        fetcher: new LoopbackHttpFetcher(
          new SimpleFetcher({ defaultRequestOptions: issuerCa ? { ca: issuerCa } : {} }),
          DEFAULTS.jwksTimeoutMs,
        ),
        postForm: loopbackPostForm,
      }
    : undefined;
  const signInConfig: SignInConfig = {
    version: 1,
    issuer: issuer.issuer,
    clientId: options.stage.keycloak.peopleClientId,
    keysSecretId: LOCAL_KEYS_SECRET_ID,
    publicBaseUrl: gatewayUrl,
    // The deployed defaults: `__Host-` names, `Secure`. The gateway speaks plain http, but on a
    // loopback address, which browsers treat as a secure context: Chromium stores and sends `Secure`
    // and `__Host-` cookies for http://127.0.0.1 (test/keycloak/browser-sign-in.test.ts), as
    // tough-cookie does. https://w3c.github.io/webappsec-secure-contexts/#is-origin-trustworthy
  };
  const core = createSignIn({
    config: signInConfig,
    keys: staticKeyProvider(cookieKeys),
    oidc: createOidcClient(signInConfig, { ca: issuerCa, ...(transport ? { transport } : {}) }),
  });
  return async (event) => {
    const parsed = parseProxyEvent(event, signInConfig.publicBaseUrl);
    if (!parsed)
      return { statusCode: 400, headers: { 'content-type': 'text/plain' }, body: 'Bad request.\n' };
    return toProxyResult(await core(parsed.request), parsed.kind);
  };
}

export function startLocalStack(
  options: LocalStackOptions & { readonly keycloak?: undefined },
): Promise<LocalStack<LocalIssuer>>;
export function startLocalStack(options: LocalStackOptions): Promise<LocalStack<StackIssuer>>;
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack<StackIssuer>> {
  const { stage } = options;
  const kcRealm = options.keycloak;
  if (kcRealm) assertLoopbackOrHttps(kcRealm.realmUrl, 'the Keycloak realm URL');
  const account = stage.account ?? LOCAL_ACCOUNT;
  const { machine, outsider, iamRoutes } = localIamCallers(options, account);
  const revocation = localRevocation(stage);
  // With tokenBinding the result cache is off, as the constructs default it (docs/token-binding.md).
  const cacheTtl =
    options.cacheTtlSeconds ?? stage.authorizer?.cacheTtlSeconds ?? (stage.tokenBinding ? 0 : 300);
  const parts: StackGatewayParts = {
    late: {},
    machine,
    outsider,
    account,
    cacheTtlSeconds: revocation ? revocation.cacheTtl(cacheTtl) : cacheTtl,
    revocation,
    // Usage plans exist on REST APIs only (the HTTP API keeps the stage throttle), as the app deploys them.
    usageTiers:
      options.apiType === 'rest' && stage.usageTiers
        ? createLocalUsageTiers(stage.usageTiers, options.now)
        : undefined,
    decisions: new Map<string, DecisionLine>(),
  };
  // The gateway listens first: with browser sign-in, the realm's people client must allow the gateway's
  // own /auth/callback URL. Its functions are bound once the issuer and the authorizer exist.
  const gateway = await startStackGateway(options, parts);
  let issuer: StackIssuer | undefined;
  let backends: ReturnType<typeof stackBackends> | undefined;
  try {
    const { realmStage, realm } = stackRealm(options, gateway.url, revocation);
    issuer = kcRealm
      ? await connectKeycloakRealm(kcRealm, realm)
      : await startLocalIssuer({
          realm,
          port: options.issuerPort ?? 0,
          accessTokenTtl: options.accessTokenTtl,
          passwords: options.passwords,
        });
    const cookieKeys = options.signIn ? localCookieKeys() : undefined;
    revocation?.bind({ issuer: issuer.issuer, jwks: issuer.urls.certs, ca: issuer.ca });
    const config = stackAuthorizerConfig(options, realmStage, issuer.issuer, gateway.url, parts, cookieKeys);
    parts.late.authorizer = stackAuthorizer(options, config, parts, issuer.ca, cookieKeys);
    backends = stackBackends(options, issuer.issuer, { account, iamRoutes });
    parts.late.integration = backends.integration;
    parts.late.streamIntegration = backends.streamIntegration;
    if (cookieKeys) parts.late.signIn = stackSignIn(options, issuer, gateway.url, cookieKeys);
    const started = issuer;
    const destroy = backends.destroy;
    return {
      issuer: started,
      gateway,
      stage,
      authorizerConfig: config.authorizerConfig,
      ...(revocation ? { revocationStore: revocation.store } : {}),
      iam: { machine, outsider },
      region: stage.region,
      ...(parts.usageTiers ? { usageTiers: parts.usageTiers } : {}),
      close: async () => {
        await gateway.close();
        await started.close();
        destroy();
      },
    };
  } catch (e) {
    await gateway.close();
    await issuer?.close();
    backends?.destroy();
    throw e;
  }
}

const LOCAL_KEYS_SECRET_ID = 'local-cookie-keys';

/** A cookie keyring for this run (the shape of the Secrets Manager secret the sign-in routes read). */
function localCookieKeys(): string {
  return JSON.stringify({ current: 'local1', local1: randomBytes(32).toString('base64url') });
}

/**
 * A real Keycloak realm as the stack's issuer: provisioned from the stack's realm definition when the
 * caller can (the admin API), else used as it is.
 */
async function connectKeycloakRealm(
  options: KeycloakRealmOptions,
  realm: RealmRepresentation,
): Promise<StackIssuer> {
  const realmUrl = options.realmUrl.replace(/\/+$/, '');
  const secrets = options.provision
    ? await options.provision(realm)
    : (options.secrets ?? { passwords: {}, clientSecrets: {} });
  return {
    issuer: realmUrl,
    urls: keycloakRealmUrls(realmUrl),
    ...(options.ca ? { ca: options.ca } : {}),
    passwords: secrets.passwords,
    clientSecrets: secrets.clientSecrets,
    close: async () => {},
  };
}
