/**
 * The schema of the app's configuration (`cdk.json` context `keygate`): every field with its type, pattern,
 * meaning and default, declared once. From it come
 * - the field lists the synth-time validator (app-config-validate.ts) checks each object against (the
 *   models are checked by the model backend's own schema, common/model-backend-config.ts), and the
 *   validators of configuration blocks (`block()` entries) it runs,
 * - the JSON Schema editors complete and check `cdk.json` with (schema/keygate-cdk-json.schema.json), and
 * - the field tables of docs/configuration.md (both written by `npm run docs:config`).
 *
 * valibot (measured against zod/mini and hand-written checks: docs/architecture.md). Used at synth time
 * and by the tools only: no function bundle imports this module.
 */
import * as v from 'valibot';
import { INSECURE_HTTP_ISSUER, SIGNATURE_ALGORITHMS } from './authorizer-config';
import {
  DEMO_MODELS,
  ENDPOINT_NAME_PATTERN,
  FOUNDATION_MODEL_ID_PATTERN,
  MODEL_ID_PATTERN,
  MODEL_KINDS,
} from './model-contract';
import { ROUTE_KEY_PATTERN } from './model-backend-config';
import { SCOPE_TOKEN_PATTERN } from './sign-in-config';
import { COOKIE_NAME_PATTERN, COOKIE_NAME_RULE, DEFAULT_SESSION_COOKIE_NAME } from './cookie-names';
import { HTTP_METHODS, ROUTE_AUTH_KINDS } from './route-model';
import { validateStageRevocation } from './back-channel-logout';
import { REVOCATION_DEFAULTS } from './revocation';
import { USAGE_QUOTA_PERIODS, stageUsageTierIssues } from './usage-tiers';
import type { FieldIssue } from './field-issue';
import { messagesOf } from './field-issue';
import { DPOP_ALGORITHMS, DPOP_DEFAULTS } from './token-binding';
import { validateStageTokenBinding } from './stage-token-binding';
import { MAX_LOA, MAX_STEP_UP_AGE_SECONDS, METHOD_OR_ACR } from './step-up';
import { DEFAULT_LEVEL_MAX_AGE_SECONDS } from './stage-step-up';

/** CloudWatch Logs retention values (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const STAGE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,31}$/;
export const ACCOUNT_PATTERN = /^\d{12}$/;
export const REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,255}$/;
export const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[A-Za-z0-9+=,.@_/-]{1,512}$/;
export const EMAIL_PATTERN = /^[^\s@]{1,64}@[^\s@]{1,255}\.[A-Za-z]{2,}$/;
/** Cognito hosted-domain prefixes. */
export const DOMAIN_PREFIX_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** A Secrets Manager secret's name or ARN: the value itself never belongs in configuration. */
export const SECRET_NAME_PATTERN =
  /^(?:arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+|[A-Za-z0-9/_+=.@-]{1,512})$/;
/** `METHOD /path` (machine principals' routes) and OAuth scope tokens: the functions' schemas declare them. */
export { ROUTE_KEY_PATTERN, SCOPE_TOKEN_PATTERN };
export const SECRET_FIELD_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** What a field carries into the JSON Schema and the docs tables besides its type. */
export interface FieldDoc {
  /** What the field means (a sentence, Markdown). */
  readonly description: string;
  /** What applies when the field is left out, in words. @default - required */
  readonly defaultText?: string;
}

/**
 * The checks of a configuration block: its messages, each naming the field (`${at}.x must ...`), or its
 * issues with the field each is about; a message alone is about the block as a whole.
 */
export type BlockValidator = (
  value: unknown,
  at: string,
  stage: Readonly<Record<string, unknown>>,
) => readonly (string | FieldIssue)[];

/** A required field. */
function req<const T extends v.GenericSchema>(schema: T, description: string) {
  return v.pipe(schema, v.metadata({ description } satisfies FieldDoc));
}

/** An optional field and what applies without it. */
function opt<const T extends v.GenericSchema>(schema: T, description: string, defaultText: string) {
  return v.optional(v.pipe(schema, v.metadata({ description, defaultText } satisfies FieldDoc)));
}

/**
 * An optional configuration block that another module validates: `shape` gives its fields (for the JSON
 * Schema and the docs), `validate` its checks and messages. Adding a block to a stage is one entry in
 * StageSchema: `name: block(Shape, validateName, 'what it does')`.
 */
export function block<const T extends v.GenericSchema>(
  shape: T,
  validate: BlockValidator,
  description: string,
  defaultText = 'off',
) {
  return v.optional(
    v.pipe(shape, v.metadata({ description, defaultText } satisfies FieldDoc), v.metadata({ validate })),
  );
}

const str = (pattern?: RegExp) => (pattern ? v.pipe(v.string(), v.regex(pattern)) : v.string());
const int = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const list = <const T extends v.GenericSchema>(item: T) => v.array(item);
const nonEmptyList = <const T extends v.GenericSchema>(item: T) => v.pipe(v.array(item), v.minLength(1));

const EntitlementsSchema = v.strictObject({
  realmRoles: opt(list(v.string()), 'realm roles', 'none'),
  clientRoles: opt(list(v.string()), 'client roles, `client:role`', 'none'),
  scopes: opt(list(v.string()), 'scopes of the `scope` claim', 'none'),
  groups: opt(list(v.string()), 'groups of the `groups` claim', 'none'),
});

const StepUpSchema = v.strictObject({
  minLoa: opt(
    int(0, MAX_LOA),
    "the least level of assurance, in the order of the issuer's `acrLoaMap` (`acr`)",
    'any level',
  ),
  amr: opt(
    nonEmptyList(str(METHOD_OR_ACR)),
    'authentication methods the token\'s `amr` must all contain, e.g. `["otp"]`',
    'none',
  ),
  maxAgeSeconds: opt(
    int(1, MAX_STEP_UP_AGE_SECONDS),
    'the most seconds since the sign-in (`auth_time`); must exceed the result-cache TTL',
    'no bound',
  ),
});

const StepUpFlowSchema = v.strictObject({
  levels: req(
    nonEmptyList(
      v.strictObject({
        level: req(int(1, MAX_LOA), 'the level, as `acrLoaMap` numbers it'),
        authenticator: req(
          str(),
          'the Keycloak authenticator that reaches it, e.g. `auth-username-password-form`, `auth-otp-form`',
        ),
        amr: opt(str(METHOD_OR_ACR), 'the `amr` value it adds to tokens (`pwd`, `otp`, `hwk`)', 'none'),
      }),
    ),
    'the levels, lowest first; each named in `acrLoaMap`',
  ),
  levelMaxAgeSeconds: opt(
    int(0, 31_536_000),
    "seconds a level stays valid in the SSO session (Keycloak's `loa-max-age`)",
    String(DEFAULT_LEVEL_MAX_AGE_SECONDS),
  ),
  amrMaxAgeSeconds: opt(
    int(0, 31_536_000),
    "seconds an `amr` value stays in the session's tokens",
    String(DEFAULT_LEVEL_MAX_AGE_SECONDS),
  ),
});

const RequirementSchema = v.strictObject({
  allOf: opt(EntitlementsSchema, 'entitlements the caller must all hold', 'none'),
  anyOf: opt(EntitlementsSchema, 'entitlements the caller must hold at least one of', 'none'),
  issuers: opt(
    list(v.string()),
    "issuers whose tokens may meet the requirement: the realm's issuer URL and/or `cognitoFederation`; required on every keycloak route with `cognitoFederation`",
    'any trusted issuer',
  ),
  stepUp: opt(
    StepUpSchema,
    'how strongly and how recently the caller must have signed in (RFC 9470; [step-up.md](step-up.md)): `{ minLoa?, amr?, maxAgeSeconds? }`',
    'no step-up',
  ),
});

export const RouteSchema = v.strictObject({
  method: req(v.picklist(HTTP_METHODS), 'HTTP method'),
  path: req(str(), 'path template, e.g. `/models/{modelId}/invoke`; a final `{name+}` is greedy'),
  auth: req(
    v.picklist(ROUTE_AUTH_KINDS),
    '`keycloak` (the Keygate authorizer), `iam` (SigV4) or `cognito-user-pool` (REST only, needs `cognitoFederation`)',
  ),
  requirement: opt(
    RequirementSchema,
    'keycloak routes only: `{ allOf?, anyOf?, issuers? }` over `realmRoles`, `clientRoles` (`client:role`), `scopes`, `groups`; an entitlement may bind a path parameter (`model:{modelId}:invoke`)',
    'any valid token',
  ),
  browser: opt(
    v.boolean(),
    'GET keycloak routes with `browserSignIn`: a browser without a session is sent to sign-in',
    'false',
  ),
  stream: opt(
    v.boolean(),
    "marks the model backend's streaming routes `POST /models/{modelId}/stream` (keycloak) and `POST /machine/models/{modelId}/stream` (iam): set there and nowhere else; REST API only",
    'false',
  ),
});

export const ServiceAccountSchema = v.strictObject({
  clientId: req(str(CLIENT_ID_PATTERN), 'confidential client id; an accepted `azp`'),
  clientRoles: req(list(v.string()), 'client roles of `apiClientId` it holds'),
});

export const TestUserSchema = v.strictObject({
  username: req(v.string(), 'user name'),
  realmRoles: req(list(v.string()), 'realm roles of the user'),
});

export const KeycloakSchema = v.strictObject({
  issuer: req(str(), "the realm's exact `iss` (https, no trailing slash)"),
  jwksUri: opt(str(), "the realm's JWKS (https)", '`<issuer>/protocol/openid-connect/certs`'),
  apiClientId: req(
    str(CLIENT_ID_PATTERN),
    "the API's resource client; client roles are `<apiClientId>:<role>`",
  ),
  peopleClientId: req(str(CLIENT_ID_PATTERN), 'public client people sign in with; an accepted `azp`'),
  audience: opt(str(CLIENT_ID_PATTERN), 'required `aud` of access tokens', '`apiClientId`'),
  serviceAccounts: opt(list(ServiceAccountSchema), 'confidential clients with service accounts', 'none'),
  redirectUris: opt(
    list(v.string()),
    'redirect URIs of the people client (realm definition, local stack)',
    'none',
  ),
  webOrigins: opt(
    list(v.string()),
    'web origins of the people client (realm definition, local stack)',
    'none',
  ),
  testUsers: opt(
    list(TestUserSchema),
    'test users of the local stack and the optional realm import (no passwords here)',
    'none',
  ),
  algorithms: opt(
    nonEmptyList(v.picklist(SIGNATURE_ALGORITHMS)),
    'accepted signing algorithms',
    '`["RS256"]`',
  ),
  acrLoaMap: opt(
    v.record(str(METHOD_OR_ACR), int(0, MAX_LOA)),
    'the realm\'s ACR-to-LoA mapping (Keycloak\'s `acr.loa.map`), e.g. `{ "1": 1, "2": 2 }`: orders `acr` for `requirement.stepUp.minLoa`; the realm definition sets it',
    'none: no route may demand a level',
  ),
  stepUpFlow: opt(
    StepUpFlowSchema,
    "the realm's step-up browser flow, one Keycloak authenticator per level; the realm definition builds it and binds it as the browser flow ([step-up.md](step-up.md))",
    "none: the realm's browser flow is left as it is",
  ),
  [INSECURE_HTTP_ISSUER]: opt(
    v.boolean(),
    'trust a plain http `issuer` (a development Keycloak); development and test realms only',
    'false',
  ),
});

export const CognitoFederationSchema = v.strictObject({
  domainPrefix: req(
    str(DOMAIN_PREFIX_PATTERN),
    'Cognito hosted-domain prefix (without aws, amazon or cognito)',
  ),
  keycloakClientId: req(str(CLIENT_ID_PATTERN), 'confidential Keycloak client the user pool signs in with'),
  clientSecretName: req(str(SECRET_NAME_PATTERN), "Secrets Manager name or ARN of that client's secret"),
  callbackUrls: req(nonEmptyList(v.string()), 'callback URLs (https, or http://localhost)'),
  logoutUrls: opt(nonEmptyList(v.string()), 'logout URLs (https, or http://localhost)', 'none'),
});

export const BrowserSignInSchema = v.strictObject({
  clientId: opt(
    str(CLIENT_ID_PATTERN),
    'the Keycloak client people sign in with; accepted as `azp` by the authorizer',
    '`keycloak.peopleClientId`',
  ),
  clientSecretName: opt(
    str(SECRET_NAME_PATTERN),
    "Secrets Manager name or ARN of a confidential client's secret (read at run time, never in the template); needs a `clientId` other than the (public) people client",
    'public client, PKCE only',
  ),
  clientSecretField: opt(
    str(SECRET_FIELD_PATTERN),
    'JSON field of that secret holding the value',
    'the whole secret string',
  ),
  scopes: opt(
    list(str(SCOPE_TOKEN_PATTERN)),
    'scopes requested at sign-in; must include `openid`',
    '`["openid"]`',
  ),
  cookieName: opt(
    str(COOKIE_NAME_PATTERN),
    `base name of the session cookie(s): ${COOKIE_NAME_RULE}`,
    `\`${DEFAULT_SESSION_COOKIE_NAME}\``,
  ),
  maxSessionSeconds: opt(int(300, 2_592_000), 'longest session', '28800 (8 h)'),
  allowedOrigins: opt(
    list(v.string()),
    "https origins besides the API's own whose pages may send state-changing cookie requests (CSRF check)",
    'none',
  ),
  csrfHeader: opt(
    v.string(),
    'header a same-origin script sends on state-changing cookie requests',
    '`x-keygate-csrf`',
  ),
  publicUrls: opt(
    list(v.string()),
    "the APIs' URLs as browsers see them (an `...ApiUrl` output without its final `/`, or a custom domain); the realm definition allows `<url>/auth/callback` and `<url>/` on the sign-in client",
    'none: register them in Keycloak',
  ),
});

export const ModelSchema = v.strictObject({
  id: req(
    str(MODEL_ID_PATTERN),
    'URL-safe id used in `/models/{modelId}/invoke` and in roles `model:{modelId}:invoke`',
  ),
  kind: req(v.picklist(MODEL_KINDS), 'where the model runs'),
  description: opt(v.pipe(v.string(), v.maxLength(256)), 'shown by GET /models', 'none'),
  demo: opt(v.picklist(DEMO_MODELS), 'kind `demo`: which built-in model', 'none'),
  bedrockModelId: opt(
    str(FOUNDATION_MODEL_ID_PATTERN),
    'kind `bedrock`: the foundation-model id (not an inference profile)',
    'none',
  ),
  sagemakerEndpointName: opt(str(ENDPOINT_NAME_PATTERN), 'kind `sagemaker`: the endpoint name', 'none'),
});

export const MachinePrincipalSchema = v.strictObject({
  roleArn: req(str(ROLE_ARN_PATTERN), 'IAM role ARN of the machine caller'),
  routes: req(nonEmptyList(str(ROUTE_KEY_PATTERN)), 'iam route keys (`METHOD /path`) it may call'),
  crossAccount: opt(
    v.boolean(),
    "a role outside the stage's account, admitted through the REST API's resource policy (REST only)",
    'false',
  ),
});

/** One stage (`keygate.stages.<name>`). */
export const StageSchema = v.strictObject({
  account: opt(str(ACCOUNT_PATTERN), '12-digit account id', 'environment-agnostic stack'),
  region: req(str(REGION_PATTERN), 'region of the stack'),
  keycloak: req(KeycloakSchema, 'the Keycloak realm the stage trusts'),
  cognitoFederation: opt(
    CognitoFederationSchema,
    'adds `KeycloakFederatedUserPool` and trusts it; the client secret is read from Secrets Manager by name or ARN',
    'off',
  ),
  browserSignIn: opt(
    BrowserSignInSchema,
    'browser sign-in at the gateway (see below); `{}` turns it on',
    'off',
  ),
  apis: opt(
    v.strictObject({
      http: opt(v.boolean(), 'deploy the HTTP API', 'true'),
      rest: opt(v.boolean(), 'deploy the REST API', 'true'),
    }),
    'which API types to deploy',
    'both',
  ),
  routes: req(nonEmptyList(RouteSchema), 'the routes of every deployed API'),
  models: req(nonEmptyList(ModelSchema), 'the models the model backend serves'),
  machinePrincipals: opt(
    list(MachinePrincipalSchema),
    'existing IAM roles granted `execute-api:Invoke` on exactly those iam routes',
    'none',
  ),
  authorizer: opt(
    v.strictObject({
      cacheTtlSeconds: opt(
        int(0, 3600),
        "API Gateway's authorizer result cache",
        '300 (0 with `browserSignIn` or `tokenBinding`)',
      ),
      responseMode: opt(v.picklist(['iam', 'simple']), 'HTTP API payload 2.0 response form', '`"iam"`'),
      clockSkewSeconds: opt(int(0, 60), 'leeway for `exp`/`nbf`/`iat`', '30'),
    }),
    'the authorizer',
    'defaults below',
  ),
  cors: opt(
    v.strictObject({
      allowOrigins: req(nonEmptyList(v.string()), 'browser origins (https, or http://localhost)'),
    }),
    'CORS of the APIs',
    'no CORS',
  ),
  throttling: opt(
    v.strictObject({
      rateLimit: req(v.pipe(v.number(), v.minValue(1), v.maxValue(10_000)), 'requests per second'),
      burstLimit: req(int(1, 5000), 'burst'),
    }),
    'stage throttling',
    '100 rps, burst 200',
  ),
  alarmEmail: opt(
    str(EMAIL_PATTERN),
    'creates an SSL-only SNS topic with this email subscription for the alarms',
    'alarms without notification',
  ),
  dashboard: opt(v.boolean(), "the stage's CloudWatch dashboard `keygate-<stage>`", 'true'),
  logRetentionDays: opt(v.picklist(LOG_RETENTION_DAYS), 'retention of every log group (days)', '30'),
  usageTiers: block(
    v.strictObject({
      tiers: req(
        v.record(
          v.string(),
          v.strictObject({
            rateLimit: req(v.number(), 'requests per second'),
            burstLimit: req(v.number(), 'bucket size'),
            quota: opt(
              v.strictObject({
                limit: req(v.number(), 'requests per period'),
                period: req(v.picklist(USAGE_QUOTA_PERIODS), 'the quota period'),
              }),
              'a quota per period',
              'the throttle alone',
            ),
            routeThrottles: opt(
              v.record(
                v.string(),
                v.strictObject({
                  rateLimit: req(v.number(), 'requests per second'),
                  burstLimit: req(v.number(), 'bucket size'),
                }),
              ),
              'throttles per route key for this tier',
              "the tier's throttle on every route",
            ),
            perCaller: opt(
              v.boolean(),
              'every caller gets an API key of its own, so the limits apply per caller ([quotas.md](quotas.md))',
              'false: one key shared by the tier',
            ),
          }),
        ),
        'tier name (lower-case letters, digits and -) → its limits',
      ),
      defaultTier: req(v.string(), 'the tier of every caller no assignment matches'),
      assignments: opt(
        list(
          v.strictObject({
            tier: req(v.string(), 'the tier'),
            realmRole: opt(v.string(), 'a realm role the token carries', 'none'),
            clientRole: opt(v.string(), 'a client role, `<clientId>:<role>`', 'none'),
            group: opt(v.string(), 'a group path the token carries', 'none'),
            roleArn: opt(
              v.string(),
              'an IAM role ARN, once per list: its IAM routes move to a companion REST API and it sends `X-API-Key` (needs `apis.http: false`; quotas.md)',
              'none',
            ),
          }),
        ),
        'which tier a caller gets, first match wins',
        'everyone gets `defaultTier`',
      ),
    }),
    (_value, at, stage) => stageUsageTierIssues(stage, at.slice(0, -'.usageTiers'.length)),
    'usage plans per caller tier on the REST API ([quotas.md](quotas.md))',
  ),
  revocation: block(
    v.strictObject({
      boundSeconds: opt(
        int(1, REVOCATION_DEFAULTS.maxBoundSeconds),
        '"a logged-out session stops working within N seconds"; caps the result cache TTL',
        String(REVOCATION_DEFAULTS.boundSeconds),
      ),
      retentionSeconds: opt(
        int(60, REVOCATION_DEFAULTS.maxRetentionSeconds),
        "how long a revocation is kept: the realm's longest token lifetime",
        String(REVOCATION_DEFAULTS.retentionSeconds),
      ),
      publicUrl: opt(
        v.string(),
        'https base URL the realm reaches the API at; the realm definition registers `<publicUrl>/auth/backchannel-logout` on its clients',
        'register the URL in Keycloak yourself',
      ),
    }),
    (value, at, stage) => {
      const authorizer = stage.authorizer as { cacheTtlSeconds?: unknown } | undefined;
      return validateStageRevocation(value, at, authorizer?.cacheTtlSeconds);
    },
    'back-channel logout and the revocation check ([revocation.md](revocation.md))',
  ),
  tokenBinding: block(
    v.strictObject({
      dpop: opt(
        v.strictObject({
          routes: opt(
            list(v.string()),
            'route keys of keycloak routes that accept DPoP-bound tokens only',
            'none',
          ),
          issuers: opt(
            list(v.string()),
            "issuers all of whose tokens must be DPoP-bound: the realm's issuer URL and/or `cognitoFederation`",
            'none',
          ),
          algorithms: opt(
            nonEmptyList(v.picklist(DPOP_ALGORITHMS)),
            'proof signature algorithms accepted',
            DPOP_DEFAULTS.algorithms.map((a) => `\`${a}\``).join(', '),
          ),
          proofMaxAgeSeconds: opt(
            int(1, DPOP_DEFAULTS.maxProofMaxAgeSeconds),
            "oldest proof accepted, from its `iat`; each proof's `jti` is kept this long plus the clock skew",
            String(DPOP_DEFAULTS.proofMaxAgeSeconds),
          ),
          publicBaseUrl: opt(
            v.string(),
            'the https URL clients call (custom domain and base path, no trailing slash); proofs name it in `htu`',
            'https:// + the request domain (+ `/<stage>` on execute-api)',
          ),
        }),
        'DPoP (RFC 9449): a proof per request, each used once (replay table in DynamoDB)',
        'off',
      ),
      mtls: opt(
        v.strictObject({
          routes: opt(
            list(v.string()),
            'route keys of keycloak routes that accept certificate-bound tokens only',
            'none',
          ),
          issuers: opt(
            list(v.string()),
            "issuers all of whose tokens must be certificate-bound: the realm's issuer URL and/or `cognitoFederation`",
            'none',
          ),
        }),
        'certificate-bound tokens (RFC 8705) over a mutual-TLS custom domain (`MutualTlsDomain`)',
        'off',
      ),
    }),
    validateStageTokenBinding,
    'sender-constrained tokens; turns the result cache off ([token-binding.md](token-binding.md))',
  ),
});

/** The whole `keygate` context value. */
export const AppConfigSchema = v.strictObject({
  stages: req(
    v.record(str(STAGE_NAME_PATTERN), StageSchema),
    'stage name (a letter, then up to 31 letters, digits or -) → its configuration',
  ),
  defaultStage: opt(
    v.string(),
    'the stage `cdk synth` and the tools use without `-c stage=<name>`',
    'the only stage',
  ),
});

/** The fields of an object schema, or of the object inside an optional/piped one. */
export function fieldsOf(schema: v.GenericSchema): readonly string[] {
  const s = unwrap(schema) as { entries?: Record<string, unknown> };
  return s.entries ? Object.keys(s.entries) : [];
}

/** The schema under `optional` and `pipe` wrappers. */
export function unwrap(schema: v.GenericSchema): v.GenericSchema {
  let s = schema as v.GenericSchema & { wrapped?: v.GenericSchema; pipe?: readonly unknown[] };
  for (;;) {
    if (s.type === 'optional' && s.wrapped) s = s.wrapped as typeof s;
    else if (s.pipe && s.pipe[0] !== s) s = s.pipe[0] as typeof s;
    else return s;
  }
}

/** The metadata of a field (its FieldDoc and, for a block, its validator). */
export function metadataOf(schema: v.GenericSchema): Partial<FieldDoc> & { validate?: BlockValidator } {
  let s = schema as v.GenericSchema & { wrapped?: v.GenericSchema; pipe?: readonly unknown[] };
  if (s.type === 'optional' && s.wrapped) s = s.wrapped as typeof s;
  const out: Record<string, unknown> = {};
  for (const a of s.pipe ?? []) {
    const action = a as { type?: string; metadata?: Record<string, unknown> };
    if (action.type === 'metadata') Object.assign(out, action.metadata);
  }
  return out as Partial<FieldDoc> & { validate?: BlockValidator };
}

/**
 * Runs the validators of the stage's configuration blocks (`block()` entries) on the blocks present.
 * `schema` is StageSchema unless a test passes an extended one.
 */
export function validateStageBlocks(
  stage: Readonly<Record<string, unknown>>,
  at: string,
  schema: v.ObjectEntries | undefined = StageSchema.entries,
): string[] {
  return messagesOf(stageBlockIssues(stage, at, schema));
}

/** validateStageBlocks' problems, each with the field it is about (the block, when its check says no more). */
export function stageBlockIssues(
  stage: Readonly<Record<string, unknown>>,
  at: string,
  schema: v.ObjectEntries | undefined = StageSchema.entries,
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [name, entry] of Object.entries(schema ?? {})) {
    const validate = metadataOf(entry).validate;
    if (validate === undefined || stage[name] === undefined) continue;
    const path = `${at}.${name}`;
    for (const found of validate(stage[name], path, stage))
      issues.push(typeof found === 'string' ? { path, message: found } : found);
  }
  return issues;
}
