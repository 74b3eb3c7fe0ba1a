/**
 * The whole stack on loopback, from one stage config: the local issuer serving the realm generated from
 * that stage (realm as code), the real authorizer handler (its config built and loaded the way the
 * Lambda loads it, its verifier trusting the issuer's certificate), the real model backend handler, and
 * the gateway in front of them. `npm start`, `npm run demo`, the end-to-end tests and the gateway
 * benchmark all start it here.
 */
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { StageConfig } from '../../common/app-config';
import { AUTHORIZER_CONFIG_ENV, validateSessionBlock } from '../../common/authorizer-config';
import type { AuthorizerConfig } from '../../common/authorizer-config';
import type { ReasonCode } from '../../common/reason-codes';
import type { RouteSpec } from '../../common/route-model';
import { routeKey } from '../../common/route-model';
import { createHandler as createAuthorizerHandler } from '../../lambda/authorizer/handler';
import { createSessionSupport } from '../../lambda/authorizer/session-support';
import type { DecisionLine, DecisionLog } from '../../lambda/authorizer/decision-log';
import { createDecisionLog } from '../../lambda/authorizer/decision-log';
import { loadConfig } from '../../lambda/authorizer/load-config';
import { createTokenVerifier } from '../../lambda/authorizer/verify-token';
import { createHandler as createModelsHandler } from '../../lambda/models/handler';
import { validateBackendConfig } from '../../lambda/models/backend-config';
import { createModelInvoker } from '../../lambda/models/model-invoker';
import { createModelStreamer } from '../../lambda/models/model-streamer';
import { createStreamHandler } from '../../lambda/models/stream-handler';
import { powertoolsUsageSink } from '../../lambda/models/usage-metrics';
import { USAGE_NAMESPACE } from '../../common/usage-record';
import type { BackendLogger } from '../../lambda/models/audit';
import { buildRealm } from '../../realm/realm-definition';
import { createSignIn } from '../../lambda/sign-in/sign-in';
import { SIGN_IN_DEFAULTS } from '../../lambda/sign-in/sign-in-config';
import type { SignInConfig } from '../../lambda/sign-in/sign-in-config';
import { createOidcClient } from '../../lambda/sign-in/oidc-client';
import { staticKeyProvider } from '../../lambda/sign-in/session-keys';
import { parseProxyEvent, toProxyResult } from '../../lambda/sign-in/api-event';
import type { VerifierEvents } from '../../lambda/authorizer/types';
import { startLocalIssuer } from '../issuer';
import type { LocalIssuer } from '../issuer';
import { localStreamingRuntime } from './lambda-response-stream';
import { startLocalGateway } from './local-gateway';
import type { GatewayRecord, LocalGateway, LambdaFunction, StreamingLambdaFunction } from './local-gateway';
import type { ApiType } from './api-events';
import type { LocalIamCredential } from './sigv4-check';

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
}

export interface LocalStack {
  readonly issuer: LocalIssuer;
  readonly gateway: LocalGateway;
  readonly stage: StageConfig;
  readonly authorizerConfig: AuthorizerConfig;
  /** The IAM caller allowed on the stage's IAM routes, and one allowed on none. */
  readonly iam: { readonly machine: LocalIamCredential; readonly outsider: LocalIamCredential };
  readonly region: string;
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

/** The route table in the shape the authorizer config and the gateway share. */
export function routeSpecs(stage: StageConfig): RouteSpec[] {
  return stage.routes.map((r) => ({
    method: r.method,
    path: r.path,
    auth: r.auth,
    ...(r.requirement ? { requirement: r.requirement } : {}),
  }));
}

/** What the constructs would trust for this stage: the realm's issuer, its clients and the API audience. */
export function localAuthorizerConfig(stage: StageConfig, issuerUrl: string): AuthorizerConfig {
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
      },
    ],
    routes: routeSpecs(stage),
    responseMode: stage.authorizer?.responseMode ?? 'iam',
    ...(stage.authorizer?.clockSkewSeconds !== undefined
      ? { clockSkewSeconds: stage.authorizer.clockSkewSeconds }
      : {}),
  };
}

const quiet: BackendLogger = { info() {}, warn() {}, error() {} };

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { stage } = options;
  const region = stage.region;
  const account = stage.account ?? LOCAL_ACCOUNT;
  const iamRoutes = stage.routes.filter((r) => r.auth === 'iam').map((r) => routeKey(r));
  const machine: LocalIamCredential = {
    accessKeyId: options.machineCredential?.accessKeyId ?? accessKeyId(),
    secretAccessKey: options.machineCredential?.secretAccessKey ?? secretAccessKey(),
    callerArn: `arn:aws:sts::${account}:assumed-role/keygate-local-machine/local`,
    callerId: 'AROALOCALKEYGATEMACH:local',
    routes: iamRoutes,
  };
  const outsider: LocalIamCredential = {
    accessKeyId: accessKeyId(),
    secretAccessKey: secretAccessKey(),
    callerArn: `arn:aws:iam::${account}:user/keygate-local-outsider`,
    callerId: 'AIDALOCALKEYGATEOUTS',
    routes: [],
  };

  // The gateway listens first: with browser sign-in, the realm's people client must allow the gateway's
  // own /auth/callback URL. Its functions are bound once the issuer and the authorizer exist.
  const late: {
    authorizer?: LambdaFunction;
    integration?: LambdaFunction;
    streamIntegration?: StreamingLambdaFunction;
    signIn?: LambdaFunction;
  } = {};
  const bound =
    (pick: () => LambdaFunction | undefined): LambdaFunction =>
    (event) => {
      const fn = pick();
      if (!fn) return Promise.reject(new Error('the local stack is still starting'));
      return fn(event);
    };
  const decisions = new Map<string, DecisionLine>();
  // Streaming routes exist on the REST API only; the HTTP API leaves them out, as the app does.
  const rest = options.apiType === 'rest';
  const streamRoutes = stage.routes.filter((r) => r.stream === true).map((r) => routeKey(r));
  const gateway = await startLocalGateway({
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
    cacheTtlSeconds: options.cacheTtlSeconds ?? stage.authorizer?.cacheTtlSeconds ?? 300,
    identitySource: options.signIn ? 'none' : 'header',
    // The constructs' CORS defaults: the stage's origins, Authorization and Content-Type headers, 10 minutes.
    cors: stage.cors
      ? {
          allowOrigins: [...stage.cors.allowOrigins],
          allowHeaders: ['Authorization', 'Content-Type'],
          maxAgeSeconds: 600,
        }
      : undefined,
    publicRoutes: options.signIn
      ? Object.values(SIGN_IN_DEFAULTS.paths).flatMap((path) =>
          (['GET', 'POST'] as const).map((method) => ({
            method,
            path,
            integration: bound(() => late.signIn),
          })),
        )
      : [],
    iamCredentials: [machine, outsider],
    region,
    accountId: account,
    port: options.gatewayPort ?? 0,
    now: options.now,
    onRequest: (record) => {
      const line = decisions.get(record.requestId);
      decisions.delete(record.requestId);
      options.onRequest?.({ ...record, ...(line ? { authorizerReason: line.reason } : {}) });
    },
  });

  let issuer: LocalIssuer | undefined;
  let bedrock: BedrockRuntimeClient | undefined;
  let sagemaker: SageMakerRuntimeClient | undefined;
  try {
    const callback = `${gateway.url}${SIGN_IN_DEFAULTS.paths.callback}`;
    const realmStage: StageConfig = options.signIn
      ? {
          ...stage,
          keycloak: {
            ...stage.keycloak,
            redirectUris: [...(stage.keycloak.redirectUris ?? []), callback],
            webOrigins: [...(stage.keycloak.webOrigins ?? []), gateway.url],
          },
        }
      : stage;
    const realm = buildRealm(realmStage, {
      includeTestUsers: true,
      directAccessGrants: true,
      testUserPasswords: options.passwords,
    });
    if (options.signIn) {
      // The post-logout landing page is the gateway itself (Keycloak: `post.logout.redirect.uris`).
      const people = realm.clients?.find((c) => c.clientId === stage.keycloak.peopleClientId);
      if (people)
        people.attributes = { ...people.attributes, 'post.logout.redirect.uris': `+##${gateway.url}/` };
    }
    issuer = await startLocalIssuer({
      realm,
      port: options.issuerPort ?? 0,
      accessTokenTtl: options.accessTokenTtl,
      passwords: options.passwords,
    });
    const issuerCa = issuer.ca;
    const cookieKeys = options.signIn ? localCookieKeys() : undefined;
    const authorizerConfig: AuthorizerConfig = {
      ...localAuthorizerConfig(stage, issuer.issuer),
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
    };
    // Loaded exactly as the Lambda loads it: from the environment variable, validated at cold start.
    const loaded = loadConfig(
      { [AUTHORIZER_CONFIG_ENV]: JSON.stringify(authorizerConfig) },
      validateSessionBlock,
    );
    if (!loaded.ok) throw new Error(`local authorizer config is invalid: ${loaded.errors.join('; ')}`);

    const printed = options.verboseLogs ? createDecisionLog() : undefined;
    const log: DecisionLog = {
      decision(line) {
        if (line.requestId) decisions.set(line.requestId, line);
        printed?.decision(line);
      },
      jwksFailure(issuerUrl, reason) {
        printed?.jwksFailure(issuerUrl, reason);
      },
      configInvalid(errors) {
        console.error('authorizer configuration invalid:', errors.join('; '));
      },
    };
    const authorizerDeps = {
      config: loaded,
      createVerifier: (config: AuthorizerConfig, events: VerifierEvents) =>
        createTokenVerifier(config, { events, requestOptions: { ca: issuerCa } }),
      log,
      // The cookie keyring, for an authorizer that reads browser sessions (ignored by one that does not).
      ...(cookieKeys && authorizerConfig.session
        ? { sessions: createSessionSupport(authorizerConfig.session, staticKeyProvider(cookieKeys)) }
        : {}),
    };
    late.authorizer = createAuthorizerHandler(authorizerDeps) as LambdaFunction;

    const invokeRoute = stage.routes.find(
      (r) => r.method === 'POST' && r.path === '/models/{modelId}/invoke',
    );
    const backendConfig = validateBackendConfig({
      models: stage.models,
      ...(invokeRoute?.requirement ? { invokeRequirement: invokeRoute.requirement } : {}),
      machineCallers: [
        { principalArn: `arn:aws:iam::${account}:role/keygate-local-machine`, routes: iamRoutes },
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
    late.integration = options.integration ?? (backend as LambdaFunction);
    // The streaming function, with Lambda's response streaming played by the local stand-in.
    late.streamIntegration = createStreamHandler({
      config: backendConfig,
      stream: createModelStreamer(clients),
      logger: backendLogger,
      ...(usage ? { usage } : {}),
      httpResponseStream: localStreamingRuntime.HttpResponseStream,
    });

    if (cookieKeys) {
      const signInConfig: SignInConfig = {
        version: 1,
        issuer: issuer.issuer,
        clientId: stage.keycloak.peopleClientId,
        keysSecretId: LOCAL_KEYS_SECRET_ID,
        publicBaseUrl: gateway.url,
        // The local gateway speaks plain http on loopback: a `Secure` cookie would never come back.
        secureCookies: false,
      };
      const core = createSignIn({
        config: signInConfig,
        keys: staticKeyProvider(cookieKeys),
        oidc: createOidcClient(signInConfig, { ca: issuerCa }),
      });
      late.signIn = async (event) => {
        const parsed = parseProxyEvent(event, signInConfig.publicBaseUrl);
        if (!parsed)
          return { statusCode: 400, headers: { 'content-type': 'text/plain' }, body: 'Bad request.\n' };
        return toProxyResult(await core(parsed.request), parsed.kind);
      };
    }

    const started = issuer;
    return {
      issuer: started,
      gateway,
      stage,
      authorizerConfig,
      iam: { machine, outsider },
      region,
      close: async () => {
        await gateway.close();
        await started.close();
        bedrock?.destroy();
        sagemaker?.destroy();
      },
    };
  } catch (e) {
    await gateway.close();
    await issuer?.close();
    throw e;
  }
}

const LOCAL_KEYS_SECRET_ID = 'local-cookie-keys';

/** A cookie keyring for this run (the shape of the Secrets Manager secret the sign-in routes read). */
function localCookieKeys(): string {
  return JSON.stringify({ current: 'local1', local1: randomBytes(32).toString('base64url') });
}
