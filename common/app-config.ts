/**
 * The Keygate app's configuration: one stage of `cdk.json` context (`keygate.stages.<name>`), or the
 * embedded default. The CDK app, the realm-as-code generator, the local gateway and the backends all
 * read this one shape, so roles, clients and routes cannot drift apart.
 *
 * Types only here plus the embedded default; validation lives in `app-config-validate.ts`.
 */
import type { StageRevocationConfig } from './back-channel-logout';
import type { HttpMethod, Requirement, RouteAuthKind } from './route-model';
import type { ResponseMode, SignatureAlgorithm } from './authorizer-config';
import { MACHINE_STREAM_PATH, MODEL_STREAM_PATH } from './model-stream';
import { MACHINE_INVOKE_PATH, MACHINE_MODELS_PATH, MODEL_INVOKE_PATH, MODELS_PATH } from './model-contract';
import type { UsageTiersConfig } from './usage-tiers';
import type { StageTokenBindingConfig } from './stage-token-binding';
import type { AcrLoaMap } from './step-up';
import type { StepUpFlowConfig } from './stage-step-up';

export type ModelKind = 'demo' | 'bedrock' | 'sagemaker';

export interface ModelConfig {
  /** URL-safe id used in `/models/{modelId}/invoke` and in roles `model:{modelId}:invoke`. */
  readonly id: string;
  readonly kind: ModelKind;
  readonly description?: string;
  /** kind demo: which built-in model. */
  readonly demo?: 'sentiment' | 'keywords';
  /** kind bedrock: foundation model id, e.g. `anthropic.claude-3-haiku-20240307-v1:0`. */
  readonly bedrockModelId?: string;
  /** kind sagemaker: endpoint name. */
  readonly sagemakerEndpointName?: string;
}

/**
 * In a stage's `requirement.issuers`, the name of the stage's federated Cognito user pool
 * (`cognitoFederation`), whose issuer URL is known only after deployment. The realm is named by its
 * issuer URL (`keycloak.issuer`).
 */
export const COGNITO_FEDERATION_ISSUER = 'cognitoFederation';

export interface AppRouteConfig {
  readonly method: HttpMethod;
  readonly path: string;
  readonly auth: RouteAuthKind;
  readonly requirement?: Requirement;
  /** Browser routes redirect to sign-in instead of a bare 401 (when browser sign-in is on). */
  readonly browser?: boolean;
  /**
   * The route streams its answer (server-sent events): only `POST /models/{modelId}/stream` (keycloak) and
   * `POST /machine/models/{modelId}/stream` (iam), and only on
   * the REST API (HTTP APIs cannot stream; the HTTP API leaves the route out). @default false
   */
  readonly stream?: boolean;
}

export interface KeycloakRealmConfig {
  /** Exact issuer, e.g. `https://sso.example.com/realms/ml`. */
  readonly issuer: string;
  /** @default `${issuer}/protocol/openid-connect/certs` */
  readonly jwksUri?: string;
  /** Client id of the API's resource client; its client roles are `<apiClientId>:<role>`. */
  readonly apiClientId: string;
  /** Public client for people (authorization code + PKCE). */
  readonly peopleClientId: string;
  /** Audience the realm's audience mapper adds to access tokens. @default apiClientId */
  readonly audience?: string;
  /** Confidential clients with service accounts, and the client roles of apiClientId they hold. */
  readonly serviceAccounts?: readonly {
    readonly clientId: string;
    readonly clientRoles: readonly string[];
  }[];
  /** Redirect URIs and web origins of the people client. */
  readonly redirectUris?: readonly string[];
  readonly webOrigins?: readonly string[];
  /** Test users (local gateway and optional realm import); passwords are never in templates. */
  readonly testUsers?: readonly { readonly username: string; readonly realmRoles: readonly string[] }[];
  /** @default ['RS256'] */
  readonly algorithms?: readonly SignatureAlgorithm[];
  /**
   * Trust a plain http `issuer` (a Keycloak in development mode). Development and test realms only; keys
   * are still fetched over https (or, in the local stack, from a loopback address). See
   * INSECURE_HTTP_ISSUER in common/authorizer-config.ts for the risk. @default false
   */
  readonly insecureHttpIssuerForDevelopmentOnly?: boolean;
  /**
   * The realm's ACR-to-LoA mapping (Keycloak's `acr.loa.map`): the authorizer orders `acr` values by it
   * for routes with `requirement.stepUp.minLoa`, and the realm definition sets it. @default - none
   */
  readonly acrLoaMap?: AcrLoaMap;
  /** The realm's step-up browser flow, built by the realm definition (docs/step-up.md). @default - none */
  readonly stepUpFlow?: StepUpFlowConfig;
}

export interface CognitoFederationConfig {
  /** Cognito hosted-domain prefix. */
  readonly domainPrefix: string;
  /** Keycloak client the user pool signs in with (confidential). */
  readonly keycloakClientId: string;
  /** Secrets Manager secret name or ARN holding that client's secret. */
  readonly clientSecretName: string;
  readonly callbackUrls: readonly string[];
  readonly logoutUrls?: readonly string[];
}

/**
 * Browser single sign-on at the gateway: the sign-in routes (`/auth/login`, `/auth/callback`,
 * `/auth/refresh`, `/auth/logout`) on every deployed API, and the authorizer accepting their session
 * cookie besides bearer tokens. Routes marked `browser: true` (GET keycloak routes) send a browser
 * without a session to sign-in. Turning this on sets the authorizer's result cache to 0 seconds: a
 * request may carry its credentials in the header or in the cookie, and API Gateway cannot cache by
 * either one alone.
 */
export interface BrowserSignInConfig {
  /** Keycloak client people sign in with. @default keycloak.peopleClientId (a public client) */
  readonly clientId?: string;
  /**
   * Secrets Manager secret name or ARN holding the secret of a confidential `clientId` (read at run
   * time, never in the template). Needs a `clientId` other than `keycloak.peopleClientId`, which the
   * realm defines as a public client.
   * @default - a public client: PKCE alone protects the code exchange
   */
  readonly clientSecretName?: string;
  /** JSON field of that secret holding the value. @default - the whole secret string */
  readonly clientSecretField?: string;
  /** Scopes requested at sign-in; must include `openid`. @default ['openid'] */
  readonly scopes?: readonly string[];
  /** Base name of the session cookie(s) (letters, digits, _ and -). @default '__Host-keygate_session' */
  readonly cookieName?: string;
  /** Longest a session lives, whatever the refresh token allows (300 to 2592000). @default 28800 (8 h) */
  readonly maxSessionSeconds?: number;
  /** https origins besides the API's own whose pages may send state-changing cookie requests. @default - none */
  readonly allowedOrigins?: readonly string[];
  /** Header a same-origin script sends on state-changing cookie requests. @default 'x-keygate-csrf' */
  readonly csrfHeader?: string;
  /**
   * Base URLs browsers reach the APIs at (the `HttpApiUrl` / `RestApiUrl` outputs without the trailing
   * slash, or a custom domain), for the realm definition only: each `<url>/auth/callback` becomes a
   * redirect URI and `<url>/` a post-logout redirect URI of the sign-in client.
   * @default - none: register them in Keycloak yourself after the first deployment
   */
  readonly publicUrls?: readonly string[];
}

export interface MachinePrincipalConfig {
  /** IAM role ARN of the machine caller. */
  readonly roleArn: string;
  /** Route keys (`METHOD /path`) of iam routes it may call. */
  readonly routes: readonly string[];
  /** Account of a caller outside this account (adds a REST resource policy). */
  readonly crossAccount?: boolean;
}

export interface StageConfig {
  /** @default - environment-agnostic */
  readonly account?: string;
  readonly region: string;
  readonly keycloak: KeycloakRealmConfig;
  readonly cognitoFederation?: CognitoFederationConfig;
  /** Browser sign-in at the gateway. @default - off: bearer tokens only, `browser` route flags unused */
  readonly browserSignIn?: BrowserSignInConfig;
  /** Which API types to deploy. @default both */
  readonly apis?: { readonly http?: boolean; readonly rest?: boolean };
  readonly routes: readonly AppRouteConfig[];
  readonly models: readonly ModelConfig[];
  readonly machinePrincipals?: readonly MachinePrincipalConfig[];
  readonly authorizer?: {
    /** @default 300 */
    readonly cacheTtlSeconds?: number;
    /** HTTP API payload 2.0 response form. @default 'iam' */
    readonly responseMode?: ResponseMode;
    readonly clockSkewSeconds?: number;
  };
  readonly cors?: { readonly allowOrigins: readonly string[] };
  readonly throttling?: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * Per-caller throttles and quotas on the REST API (usage plans; docs/quotas.md). The HTTP API keeps the
   * stage throttle alone. @default - none
   */
  readonly usageTiers?: UsageTiersConfig;
  /** SNS topic for alarms: created when an email is given. */
  readonly alarmEmail?: string;
  /** The CloudWatch dashboard (`KeygateDashboard`) of the stage. @default true */
  readonly dashboard?: boolean;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** Back-channel logout and the revocation check (docs/revocation.md). @default - off */
  readonly revocation?: StageRevocationConfig;
  /** Sender-constrained tokens, DPoP and certificate-bound (docs/token-binding.md). @default - off */
  readonly tokenBinding?: StageTokenBindingConfig;
}

export interface KeygateAppConfig {
  readonly stages: Readonly<Record<string, StageConfig>>;
  /** @default 'dev' */
  readonly defaultStage?: string;
}

/** Route requirement of the default model routes, shared by people (realm roles) and services (client roles). */
export const DEFAULT_ROUTES: readonly AppRouteConfig[] = [
  { method: 'GET', path: '/me', auth: 'keycloak', browser: true },
  {
    method: 'GET',
    path: MODELS_PATH,
    auth: 'keycloak',
    requirement: { anyOf: { realmRoles: ['model-user'], clientRoles: ['keygate-api:model-user'] } },
  },
  {
    method: 'POST',
    path: MODEL_INVOKE_PATH,
    auth: 'keycloak',
    requirement: {
      anyOf: { realmRoles: ['model:{modelId}:invoke'], clientRoles: ['keygate-api:model:{modelId}:invoke'] },
    },
  },
  {
    method: 'POST',
    path: MODEL_STREAM_PATH,
    auth: 'keycloak',
    stream: true,
    requirement: {
      anyOf: { realmRoles: ['model:{modelId}:invoke'], clientRoles: ['keygate-api:model:{modelId}:invoke'] },
    },
  },
  { method: 'GET', path: MACHINE_MODELS_PATH, auth: 'iam' },
  { method: 'POST', path: MACHINE_INVOKE_PATH, auth: 'iam' },
  { method: 'POST', path: MACHINE_STREAM_PATH, auth: 'iam', stream: true },
];

/** The embedded default: synthesizes offline, with no AWS credentials and no other set-up. */
export const DEFAULT_APP_CONFIG: KeygateAppConfig = {
  defaultStage: 'dev',
  stages: {
    dev: {
      region: 'eu-west-1',
      keycloak: {
        issuer: 'https://keycloak.example.com/realms/keygate',
        apiClientId: 'keygate-api',
        peopleClientId: 'keygate-web',
        audience: 'keygate-api',
        serviceAccounts: [
          { clientId: 'batch-scorer', clientRoles: ['model-user', 'model:sentiment:invoke'] },
        ],
        redirectUris: ['http://localhost:5173/*'],
        webOrigins: ['http://localhost:5173'],
        testUsers: [
          {
            username: 'alice',
            realmRoles: ['model-user', 'model:sentiment:invoke', 'model:keywords:invoke'],
          },
          { username: 'bob', realmRoles: ['model-user'] },
        ],
        // Keycloak's own acr values (the level numbers), so tokens read alike with or without the map;
        // level 2 adds a one-time password (docs/step-up.md).
        acrLoaMap: { '1': 1, '2': 2 },
        stepUpFlow: {
          levels: [
            { level: 1, authenticator: 'auth-username-password-form', amr: 'pwd' },
            { level: 2, authenticator: 'auth-otp-form', amr: 'otp' },
          ],
        },
      },
      routes: DEFAULT_ROUTES,
      models: [
        { id: 'sentiment', kind: 'demo', demo: 'sentiment', description: 'Lexicon sentiment score' },
        { id: 'keywords', kind: 'demo', demo: 'keywords', description: 'Top keywords of a text' },
      ],
      machinePrincipals: [],
      authorizer: { cacheTtlSeconds: 300, responseMode: 'iam' },
      cors: { allowOrigins: ['http://localhost:5173'] },
      throttling: { rateLimit: 50, burstLimit: 100 },
      // Example tiers (docs/quotas.md): people share `standard`, the batch client has its own pool.
      usageTiers: {
        tiers: {
          standard: { rateLimit: 20, burstLimit: 40, quota: { limit: 50_000, period: 'DAY' } },
          batch: { rateLimit: 50, burstLimit: 100, quota: { limit: 1_000_000, period: 'MONTH' } },
        },
        defaultTier: 'standard',
        assignments: [{ clientRole: 'keygate-api:model-user', tier: 'batch' }],
      },
      logRetentionDays: 30,
    },
  },
};
