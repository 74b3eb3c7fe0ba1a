/**
 * The whole stack on loopback, from one stage config: the local issuer serving the realm generated from
 * that stage (realm as code), the real authorizer handler (its config built and loaded the way the
 * Lambda loads it, its verifier trusting the issuer's certificate), the real model backend handler, and
 * the gateway in front of them. `npm start`, `npm run demo`, the end-to-end tests and the gateway
 * benchmark all start it here.
 */
import { randomBytes } from 'node:crypto';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { StageConfig } from '../../common/app-config';
import { AUTHORIZER_CONFIG_ENV } from '../../common/authorizer-config';
import type { AuthorizerConfig } from '../../common/authorizer-config';
import type { ReasonCode } from '../../common/reason-codes';
import type { RouteSpec } from '../../common/route-model';
import { routeKey } from '../../common/route-model';
import { createHandler as createAuthorizerHandler } from '../../lambda/authorizer/handler';
import type { DecisionLine, DecisionLog } from '../../lambda/authorizer/decision-log';
import { createDecisionLog } from '../../lambda/authorizer/decision-log';
import { loadConfig } from '../../lambda/authorizer/load-config';
import { createTokenVerifier } from '../../lambda/authorizer/verify-token';
import { createHandler as createModelsHandler } from '../../lambda/models/handler';
import { validateBackendConfig } from '../../lambda/models/backend-config';
import { createModelInvoker } from '../../lambda/models/model-invoker';
import type { BackendLogger } from '../../lambda/models/audit';
import { buildRealm } from '../../realm/realm-definition';
import { startLocalIssuer } from '../issuer';
import type { LocalIssuer } from '../issuer';
import { startLocalGateway } from './local-gateway';
import type { GatewayRecord, LocalGateway, LambdaFunction } from './local-gateway';
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
  const realm = buildRealm(stage, {
    includeTestUsers: true,
    directAccessGrants: true,
    testUserPasswords: options.passwords,
  });
  const issuer = await startLocalIssuer({
    realm,
    port: options.issuerPort ?? 0,
    accessTokenTtl: options.accessTokenTtl,
    passwords: options.passwords,
  });
  try {
    const authorizerConfig = localAuthorizerConfig(stage, issuer.issuer);
    // Loaded exactly as the Lambda loads it: from the environment variable, validated at cold start.
    const loaded = loadConfig({ [AUTHORIZER_CONFIG_ENV]: JSON.stringify(authorizerConfig) });
    if (!loaded.ok) throw new Error(`local authorizer config is invalid: ${loaded.errors.join('; ')}`);

    const decisions = new Map<string, DecisionLine>();
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
    const authorizer = createAuthorizerHandler({
      config: loaded,
      createVerifier: (config, events) =>
        createTokenVerifier(config, { events, requestOptions: { ca: issuer.ca } }),
      log,
    });

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
    let bedrock: BedrockRuntimeClient | undefined;
    let sagemaker: SageMakerRuntimeClient | undefined;
    const backendLogger: BackendLogger = options.verboseLogs
      ? {
          info: (m, a) => console.log(JSON.stringify({ level: 'INFO', message: m, ...a })),
          warn: (m, a) => console.log(JSON.stringify({ level: 'WARN', message: m, ...a })),
          error: (m, a) => console.log(JSON.stringify({ level: 'ERROR', message: m, ...a })),
        }
      : quiet;
    const backend = createModelsHandler({
      config: backendConfig,
      invoke: createModelInvoker({
        bedrock: () => (bedrock ??= new BedrockRuntimeClient({ region, maxAttempts: 2 })),
        sagemaker: () => (sagemaker ??= new SageMakerRuntimeClient({ region, maxAttempts: 2 })),
      }),
      logger: backendLogger,
    });

    const gateway = await startLocalGateway({
      routes: routeSpecs(stage),
      authorizer: (event) => {
        options.onAuthorizerInvoked?.(event);
        return authorizer(event);
      },
      integration: options.integration ?? (backend as LambdaFunction),
      apiType: options.apiType,
      responseMode: stage.authorizer?.responseMode,
      cacheTtlSeconds: options.cacheTtlSeconds ?? stage.authorizer?.cacheTtlSeconds ?? 300,
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
    return {
      issuer,
      gateway,
      stage,
      authorizerConfig,
      iam: { machine, outsider },
      region,
      close: async () => {
        await gateway.close();
        await issuer.close();
        bedrock?.destroy();
        sagemaker?.destroy();
      },
    };
  } catch (e) {
    await issuer.close();
    throw e;
  }
}
