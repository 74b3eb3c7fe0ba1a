/**
 * Validates the app's configuration (`cdk.json` context `keygate`, or the embedded default) before any
 * construct is built. Every message names the field in full (`keygate.stages.dev.routes[2].path: ...`),
 * so a mistake fails `cdk synth` with the place to fix. Pure: no CDK, no I/O.
 */
import type { AppRouteConfig, KeygateAppConfig, StageConfig } from './app-config';
import { COGNITO_FEDERATION_ISSUER } from './app-config';
import { keycloakUrlIssues, SIGNATURE_ALGORITHMS } from './authorizer-config';
import { MACHINE_STREAM_PATH, MODEL_STREAM_PATH } from './model-stream';
import { validateModelList } from './model-backend-config';
import type { SignatureAlgorithm } from './authorizer-config';
import { COOKIE_NAME_RULE, isCookieName } from './cookie-names';
import { SIGN_IN_PREFIX } from './sign-in-routes';
import type { FieldIssue } from './field-issue';
import { fieldIssue, issuesAbout, messagesOf, unknownFieldIssues } from './field-issue';
import { stageStepUpIssues } from './stage-step-up';
import { isHeaderName, isHttpsOrigin, isHttpsUrl, isIntIn, isStringList } from './field-checks';
import { HTTP_METHODS, boundParams, routeIssues } from './route-model';
import {
  HTTP_API_ROUTES_PER_API,
  REST_API_RESOURCES_PER_API,
  policySizeErrors,
  restResourceCount,
} from './aws-limits';
import type { HttpMethod, RouteSpec } from './route-model';
import {
  ACCOUNT_PATTERN,
  AppConfigSchema,
  BrowserSignInSchema,
  CLIENT_ID_PATTERN,
  CognitoFederationSchema,
  DOMAIN_PREFIX_PATTERN,
  EMAIL_PATTERN,
  fieldsOf,
  KeycloakSchema,
  LOG_RETENTION_DAYS,
  MachinePrincipalSchema,
  REGION_PATTERN,
  ROLE_ARN_PATTERN,
  ROUTE_KEY_PATTERN,
  RouteSchema,
  SCOPE_TOKEN_PATTERN,
  SECRET_FIELD_PATTERN,
  SECRET_NAME_PATTERN,
  ServiceAccountSchema,
  STAGE_NAME_PATTERN,
  StageSchema,
  TestUserSchema,
  stageBlockIssues,
} from './stage-config-schema';

/** A refused configuration: every problem as an issue naming its field, and their messages in order. */
export interface ConfigRefusal {
  readonly ok: false;
  readonly errors: string[];
  readonly issues: FieldIssue[];
}
export type AppConfigResult = { ok: true; config: KeygateAppConfig } | ConfigRefusal;
export type StageResult = { ok: true; name: string; stage: StageConfig } | ConfigRefusal;

function refusal(issues: FieldIssue[]): ConfigRefusal {
  return { ok: false, errors: messagesOf(issues), issues };
}

export { LOG_RETENTION_DAYS };

const STAGE_NAME = STAGE_NAME_PATTERN;
const ACCOUNT = ACCOUNT_PATTERN;
const REGION = REGION_PATTERN;
const CLIENT_ID = CLIENT_ID_PATTERN;
const ROLE_ARN = ROLE_ARN_PATTERN;
const EMAIL = EMAIL_PATTERN;
const DOMAIN_PREFIX = DOMAIN_PREFIX_PATTERN;
const SECRET_NAME = SECRET_NAME_PATTERN;
const ROUTE_KEY = ROUTE_KEY_PATTERN;
const SCOPE_TOKEN = SCOPE_TOKEN_PATTERN;

/** Validates the whole `keygate` context value. */
export function validateAppConfig(input: unknown, field = 'keygate'): AppConfigResult {
  const errors: FieldIssue[] = [];
  // `field` '' names the fields from the top (`stages.dev.region`): a `--config` file of the tools.
  const at = (name: string) => (field ? `${field}.${name}` : name);
  if (!isObject(input))
    return refusal([
      { path: field, message: `${field || 'the configuration'} must be an object with a stages map` },
    ]);
  unknownKeys(input, fieldsOf(AppConfigSchema), field, errors);
  const stages = input.stages;
  if (!isObject(stages) || Object.keys(stages).length === 0) {
    errors.push(fieldIssue(at('stages'), 'must map at least one stage name to its configuration'));
  } else {
    for (const [name, stage] of Object.entries(stages)) {
      if (!STAGE_NAME.test(name)) {
        errors.push(
          fieldIssue(
            `${at('stages')}.${name}`,
            ': a stage name must be a letter then up to 31 letters, digits or -',
          ),
        );
        continue;
      }
      errors.push(...stageConfigIssues(stage, `${at('stages')}.${name}`));
    }
    if (
      input.defaultStage !== undefined &&
      (typeof input.defaultStage !== 'string' || !(input.defaultStage in stages))
    ) {
      errors.push(
        fieldIssue(at('defaultStage'), `must name one of the stages (${Object.keys(stages).join(', ')})`),
      );
    }
  }
  return errors.length ? refusal(errors) : { ok: true, config: input as unknown as KeygateAppConfig };
}

/** Where a configuration came from, for the messages of selectStage. */
export interface StageSource {
  /** The path of the configuration's fields ('' for a file whose top level is the configuration). @default 'keygate' */
  readonly field?: string;
  /** How the user names a stage. @default '-c stage=<name>' (cdk synth) */
  readonly chooseWith?: string;
}

/**
 * The one front door to a stage, for `cdk synth`, the local stack, the realm commands and the demo: the
 * whole configuration is validated (every stage, so a broken stage fails whichever one is used), then the
 * stage is `requested`, else `defaultStage`, else the only stage.
 */
export function selectStage(input: unknown, requested: unknown, source: StageSource = {}): StageResult {
  const field = source.field ?? 'keygate';
  const chooseWith = source.chooseWith ?? '-c stage=<name>';
  const stagesField = field ? `${field}.stages` : 'stages';
  const result = validateAppConfig(input, field);
  if (!result.ok) return result;
  const names = Object.keys(result.config.stages);
  let name: string | undefined;
  if (requested !== undefined) {
    if (typeof requested !== 'string' || !names.includes(requested)) {
      // The stage is chosen outside the configuration (`-c stage=`, `--stage`): the field is `stage`.
      return refusal([
        {
          path: 'stage',
          message: `stage '${String(requested)}' is not in ${stagesField} (${names.join(', ')})`,
        },
      ]);
    }
    name = requested;
  } else {
    name = result.config.defaultStage ?? (names.length === 1 ? names[0] : undefined);
    if (name === undefined) {
      return refusal([
        {
          path: 'stage',
          message: `${field || 'the configuration'} has several stages and no defaultStage: choose one with ${chooseWith} (${names.join(', ')})`,
        },
      ]);
    }
  }
  return { ok: true, name, stage: result.config.stages[name] };
}

/** Validates one stage. Returns the messages (empty when valid). */
export function validateStageConfig(input: unknown, at: string): string[] {
  return messagesOf(stageConfigIssues(input, at));
}

/** validateStageConfig's problems, each with the field it is about. */
export function stageConfigIssues(input: unknown, at: string): FieldIssue[] {
  if (!isObject(input)) return [fieldIssue(at, 'must be an object')];
  const s = input;
  const errors: FieldIssue[] = [];
  unknownKeys(s, fieldsOf(StageSchema), at, errors);
  if (s.account !== undefined && (typeof s.account !== 'string' || !ACCOUNT.test(s.account))) {
    errors.push(
      fieldIssue(
        `${at}.account`,
        'must be a 12-digit AWS account id (or be left out for an environment-agnostic stack)',
      ),
    );
  }
  if (typeof s.region !== 'string' || !REGION.test(s.region))
    errors.push(fieldIssue(`${at}.region`, 'must be an AWS region such as eu-west-1'));
  errors.push(...validateKeycloak(s.keycloak, `${at}.keycloak`));
  if (s.cognitoFederation !== undefined)
    errors.push(...validateFederation(s.cognitoFederation, `${at}.cognitoFederation`));
  const signIn = s.browserSignIn !== undefined;
  if (signIn) errors.push(...validateBrowserSignIn(s.browserSignIn, `${at}.browserSignIn`, s.keycloak));

  const { http, rest } = validateApis(s, at, errors);

  // The TTL the constructs give the authorizer: the stage's, else 0 with browser sign-in or token
  // binding, else 300.
  const configuredTtl = isObject(s.authorizer) ? s.authorizer.cacheTtlSeconds : undefined;
  const cacheOff = signIn || s.tokenBinding !== undefined;
  const resultCacheTtlSeconds =
    typeof configuredTtl === 'number'
      ? configuredTtl
      : cacheOff && configuredTtl === undefined
        ? 0
        : undefined;
  const routeErrors = validateAppRoutes(s.routes, `${at}.routes`, resultCacheTtlSeconds);
  errors.push(...routeErrors);
  const routes = routeErrors.length === 0 ? (s.routes as RouteSpec[]) : [];
  if (isObject(s.keycloak)) errors.push(...validateStageIssuerScopes(s, routes, at));
  errors.push(...stageStepUpIssues({ ...s, routes }, at, resultCacheTtlSeconds));
  errors.push(...routeQuotaErrors(routes, `${at}.routes`, http, rest));
  errors.push(...stageRouteErrors(s, routes, at, { http, rest, signIn }));
  errors.push(...validateModelList(s.models, `${at}.models`));
  errors.push(...stageBlockIssues(s, at));
  if (s.machinePrincipals !== undefined) {
    errors.push(
      ...validateMachinePrincipals(s.machinePrincipals, `${at}.machinePrincipals`, routes, rest, s.account),
    );
  }
  if (s.authorizer !== undefined) errors.push(...validateAuthorizerOptions(s.authorizer, `${at}.authorizer`));
  errors.push(...authorizerCacheErrors(s, routes, at, signIn));
  errors.push(...stageOptionErrors(s, at));
  return errors;
}

/** The `apis` block: which API types the stage deploys (both unless turned off). */
function validateApis(
  s: Record<string, unknown>,
  at: string,
  errors: FieldIssue[],
): { readonly http: boolean; readonly rest: boolean } {
  let http = true;
  let rest = true;
  if (s.apis !== undefined) {
    if (!isObject(s.apis))
      errors.push(fieldIssue(`${at}.apis`, 'must be an object { http?: boolean, rest?: boolean }'));
    else {
      unknownKeys(s.apis, fieldsOf(StageSchema.entries.apis), `${at}.apis`, errors);
      for (const k of ['http', 'rest'] as const) {
        if (s.apis[k] !== undefined && typeof s.apis[k] !== 'boolean')
          errors.push(fieldIssue(`${at}.apis.${k}`, 'must be a boolean'));
      }
      http = s.apis.http !== false;
      rest = s.apis.rest !== false;
      if (!http && !rest)
        errors.push(fieldIssue(`${at}.apis`, ': at least one of http and rest must be true'));
    }
  }

  return { http, rest };
}

/** What the stage's other settings ask of its routes: Cognito, streaming, sign-in and CORS. */
function stageRouteErrors(
  s: Record<string, unknown>,
  routes: readonly RouteSpec[],
  at: string,
  { http, rest, signIn }: { readonly http: boolean; readonly rest: boolean; readonly signIn: boolean },
): FieldIssue[] {
  const errors: FieldIssue[] = [];
  routes.forEach((r, i) => {
    if (r.auth !== 'cognito-user-pool') return;
    if (s.cognitoFederation === undefined) {
      errors.push(
        fieldIssue(`${at}.routes[${i}].auth`, `: cognito-user-pool routes need ${at}.cognitoFederation`),
      );
    }
    if (http) {
      errors.push(
        fieldIssue(
          `${at}.routes[${i}].auth`,
          `: cognito-user-pool routes exist on REST APIs only; set ${at}.apis.http to false or use auth keycloak`,
        ),
      );
    }
  });

  errors.push(...validateStreamRoutes(routes as AppRouteConfig[], `${at}.routes`, rest, `${at}.apis.rest`));

  if (signIn) {
    routes.forEach((r, i) => {
      // The sign-in function owns /auth/*; a configured route there would shadow or collide with it.
      if (r.path.startsWith(`${SIGN_IN_PREFIX}/`)) {
        errors.push(
          fieldIssue(
            `${at}.routes[${i}].path`,
            `: paths under ${SIGN_IN_PREFIX}/ belong to the sign-in routes while ${at}.browserSignIn is set`,
          ),
        );
      }
      // The runtime redirects only navigations (GET) on routes the Keygate authorizer decides.
      if ((r as { browser?: unknown }).browser === true && (r.method !== 'GET' || r.auth !== 'keycloak')) {
        errors.push(
          fieldIssue(
            `${at}.routes[${i}].browser`,
            ': only GET keycloak routes can send a browser to sign-in',
          ),
        );
      }
    });
  }
  if (http && s.cors !== undefined) {
    routes.forEach((r, i) => {
      // The HTTP API answers preflight itself only when no route matches OPTIONS.
      if (r.method === 'ANY' || r.method === 'OPTIONS') {
        errors.push(
          fieldIssue(
            `${at}.routes[${i}].method`,
            `: ${r.method} would catch CORS preflight requests on the HTTP API and send them to the authorizer; list the methods explicitly`,
          ),
        );
      }
    });
  }
  return errors;
}

/** What the authorizer's result cache cannot do with this stage (browser sessions, simple answers). */
function authorizerCacheErrors(
  s: Record<string, unknown>,
  routes: readonly RouteSpec[],
  at: string,
  signIn: boolean,
): FieldIssue[] {
  const errors: FieldIssue[] = [];
  if (signIn && isObject(s.authorizer) && s.authorizer.cacheTtlSeconds !== undefined) {
    if (s.authorizer.cacheTtlSeconds !== 0) {
      errors.push(
        fieldIssue(
          `${at}.authorizer.cacheTtlSeconds`,
          `must be 0 or left out with ${at}.browserSignIn: a request may carry its ` +
            'credentials in the Authorization header or in the session cookie, and API Gateway caches only by a source every request has',
        ),
      );
    }
  }
  const cachedAnswers =
    isObject(s.authorizer) &&
    s.authorizer.cacheTtlSeconds !== 0 &&
    !(signIn && s.authorizer.cacheTtlSeconds === undefined);
  if (cachedAnswers && isObject(s.authorizer) && s.authorizer.responseMode === 'simple') {
    // A simple answer is cached per token and route key, not per concrete path.
    const bound = routes.findIndex((r) => r.auth === 'keycloak' && boundParams(r.requirement).length > 0);
    if (bound >= 0) {
      errors.push(
        fieldIssue(
          `${at}.authorizer.cacheTtlSeconds`,
          `must be 0 with responseMode 'simple': routes[${bound}] binds a path parameter, ` +
            'and a cached simple answer would hold for every value of it',
        ),
      );
    }
  }
  return errors;
}

/** The stage's own options: CORS, throttling, dashboard, alarm email, log retention. */
function stageOptionErrors(s: Record<string, unknown>, at: string): FieldIssue[] {
  const errors: FieldIssue[] = [];
  if (s.cors !== undefined) {
    if (!isObject(s.cors) || !Array.isArray(s.cors.allowOrigins) || s.cors.allowOrigins.length === 0) {
      errors.push(fieldIssue(`${at}.cors.allowOrigins`, 'must list at least one origin'));
    } else {
      unknownKeys(s.cors, fieldsOf(StageSchema.entries.cors), `${at}.cors`, errors);
      s.cors.allowOrigins.forEach((o: unknown, i: number) => {
        if (!isOrigin(o))
          errors.push(
            fieldIssue(
              `${at}.cors.allowOrigins[${i}]`,
              `must be an origin such as https://app.example.com (no path, no '*')`,
            ),
          );
      });
    }
  }
  if (s.throttling !== undefined) {
    if (!isObject(s.throttling))
      errors.push(fieldIssue(`${at}.throttling`, 'must be an object { rateLimit, burstLimit }'));
    else {
      unknownKeys(s.throttling, fieldsOf(StageSchema.entries.throttling), `${at}.throttling`, errors);
      if (
        typeof s.throttling.rateLimit !== 'number' ||
        !(s.throttling.rateLimit > 0) ||
        s.throttling.rateLimit > 10000
      ) {
        errors.push(
          fieldIssue(`${at}.throttling.rateLimit`, 'must be a number of requests per second from 1 to 10000'),
        );
      }
      if (!isIntIn(s.throttling.burstLimit, 1, 5000))
        errors.push(fieldIssue(`${at}.throttling.burstLimit`, 'must be an integer from 1 to 5000'));
    }
  }
  if (s.dashboard !== undefined && typeof s.dashboard !== 'boolean') {
    errors.push(
      fieldIssue(
        `${at}.dashboard`,
        `must be a boolean (true: the stage's CloudWatch dashboard, the default)`,
      ),
    );
  }
  if (s.alarmEmail !== undefined && (typeof s.alarmEmail !== 'string' || !EMAIL.test(s.alarmEmail))) {
    errors.push(fieldIssue(`${at}.alarmEmail`, 'must be an email address'));
  }
  if (
    s.logRetentionDays !== undefined &&
    !(LOG_RETENTION_DAYS as readonly unknown[]).includes(s.logRetentionDays)
  ) {
    errors.push(fieldIssue(`${at}.logRetentionDays`, `must be one of ${LOG_RETENTION_DAYS.join(', ')}`));
  }
  return errors;
}

function validateKeycloak(input: unknown, at: string): FieldIssue[] {
  if (!isObject(input))
    return [fieldIssue(at, 'must be an object (issuer, apiClientId, peopleClientId, ...)')];
  const k = input;
  const errors: FieldIssue[] = [];
  unknownKeys(k, fieldsOf(KeycloakSchema), at, errors);
  // The stage drives the local stack too ('runtime': a loopback http JWKS URI is allowed there); synth
  // applies the deployed rule in TrustedIssuer.keycloakRealm.
  errors.push(
    ...keycloakUrlIssues(k, at, 'runtime', "must be the realm's https issuer URL without a trailing slash"),
  );
  for (const f of ['apiClientId', 'peopleClientId'] as const) {
    if (typeof k[f] !== 'string' || !CLIENT_ID.test(k[f] as string))
      errors.push(fieldIssue(`${at}.${f}`, 'must be a Keycloak client id'));
  }
  if (k.audience !== undefined && (typeof k.audience !== 'string' || !CLIENT_ID.test(k.audience))) {
    errors.push(fieldIssue(`${at}.audience`, 'must be an audience string'));
  }
  if (k.serviceAccounts !== undefined) {
    if (!Array.isArray(k.serviceAccounts)) errors.push(fieldIssue(`${at}.serviceAccounts`, 'must be a list'));
    else
      k.serviceAccounts.forEach((sa: unknown, i: number) => {
        const f = `${at}.serviceAccounts[${i}]`;
        if (!isObject(sa)) {
          errors.push(fieldIssue(f, 'must be an object { clientId, clientRoles }'));
          return;
        }
        unknownKeys(sa, fieldsOf(ServiceAccountSchema), f, errors);
        if (typeof sa.clientId !== 'string' || !CLIENT_ID.test(sa.clientId))
          errors.push(fieldIssue(`${f}.clientId`, 'must be a Keycloak client id'));
        if (!isStringList(sa.clientRoles))
          errors.push(fieldIssue(`${f}.clientRoles`, 'must be a list of role names'));
      });
  }
  for (const f of ['redirectUris', 'webOrigins'] as const) {
    if (k[f] !== undefined && !isStringList(k[f]))
      errors.push(fieldIssue(`${at}.${f}`, 'must be a list of URLs'));
  }
  if (k.testUsers !== undefined) {
    if (!Array.isArray(k.testUsers)) errors.push(fieldIssue(`${at}.testUsers`, 'must be a list'));
    else
      k.testUsers.forEach((u: unknown, i: number) => {
        const f = `${at}.testUsers[${i}]`;
        if (!isObject(u)) {
          errors.push(fieldIssue(f, 'must be an object { username, realmRoles }'));
          return;
        }
        unknownKeys(u, fieldsOf(TestUserSchema), f, errors);
        if (typeof u.username !== 'string' || !/^[a-z0-9._-]{1,64}$/.test(u.username))
          errors.push(fieldIssue(`${f}.username`, 'must be a lower-case user name'));
        if (!isStringList(u.realmRoles))
          errors.push(fieldIssue(`${f}.realmRoles`, 'must be a list of role names'));
      });
  }
  if (k.algorithms !== undefined) {
    if (
      !Array.isArray(k.algorithms) ||
      k.algorithms.length === 0 ||
      k.algorithms.some((a) => !SIGNATURE_ALGORITHMS.includes(a as SignatureAlgorithm))
    ) {
      errors.push(
        fieldIssue(`${at}.algorithms`, `must be a non-empty list from ${SIGNATURE_ALGORITHMS.join(', ')}`),
      );
    }
  }
  return errors;
}

function validateFederation(input: unknown, at: string): FieldIssue[] {
  if (!isObject(input))
    return [
      fieldIssue(at, 'must be an object (domainPrefix, keycloakClientId, clientSecretName, callbackUrls)'),
    ];
  const f = input;
  const errors: FieldIssue[] = [];
  unknownKeys(f, fieldsOf(CognitoFederationSchema), at, errors);
  if (
    typeof f.domainPrefix !== 'string' ||
    !DOMAIN_PREFIX.test(f.domainPrefix) ||
    /aws|amazon|cognito/.test(f.domainPrefix)
  ) {
    errors.push(
      fieldIssue(
        `${at}.domainPrefix`,
        'must be lower-case letters, digits and -, without aws, amazon or cognito',
      ),
    );
  }
  if (typeof f.keycloakClientId !== 'string' || !CLIENT_ID.test(f.keycloakClientId)) {
    errors.push(fieldIssue(`${at}.keycloakClientId`, 'must be a Keycloak client id'));
  }
  // The secret's name or ARN only: the value itself never belongs in configuration.
  if (typeof f.clientSecretName !== 'string' || !SECRET_NAME.test(f.clientSecretName)) {
    errors.push(fieldIssue(`${at}.clientSecretName`, 'must be the name or ARN of a Secrets Manager secret'));
  }
  for (const k of ['callbackUrls', 'logoutUrls'] as const) {
    const list = f[k];
    if (list === undefined && k === 'logoutUrls') continue;
    if (!Array.isArray(list) || list.length === 0) {
      errors.push(fieldIssue(`${at}.${k}`, 'must list at least one URL'));
      continue;
    }
    list.forEach((u: unknown, i: number) => {
      if (!isCallbackUrl(u))
        errors.push(fieldIssue(`${at}.${k}[${i}]`, 'must be an https URL (or http://localhost)'));
    });
  }
  return errors;
}

function validateBrowserSignIn(input: unknown, at: string, keycloak: unknown): FieldIssue[] {
  if (!isObject(input)) {
    return [
      fieldIssue(
        at,
        'must be an object (clientId?, clientSecretName?, scopes?, cookieName?, ...); {} turns sign-in on',
      ),
    ];
  }
  const errors: FieldIssue[] = [];
  unknownKeys(input, fieldsOf(BrowserSignInSchema), at, errors);
  return [
    ...errors,
    ...signInClientIssues(input, at, keycloak),
    ...signInSessionIssues(input, at),
    ...signInBrowserIssues(input, at),
  ];
}

/** The sign-in client: its id, and the secret of a confidential client (by name, never the value). */
function signInClientIssues(b: Record<string, unknown>, at: string, keycloak: unknown): FieldIssue[] {
  const errors: FieldIssue[] = [];
  if (b.clientId !== undefined && (typeof b.clientId !== 'string' || !CLIENT_ID.test(b.clientId))) {
    errors.push(fieldIssue(`${at}.clientId`, 'must be a Keycloak client id'));
  }
  if (b.clientSecretName !== undefined) {
    // The secret's name or ARN only: the value itself never belongs in configuration.
    if (typeof b.clientSecretName !== 'string' || !SECRET_NAME.test(b.clientSecretName)) {
      errors.push(
        fieldIssue(`${at}.clientSecretName`, 'must be the name or ARN of a Secrets Manager secret'),
      );
    }
    const people = isObject(keycloak) ? keycloak.peopleClientId : undefined;
    if (b.clientId === undefined || b.clientId === people) {
      errors.push(
        fieldIssue(
          `${at}.clientSecretName`,
          `needs ${at}.clientId naming a confidential client other than keycloak.peopleClientId, which is a public client`,
        ),
      );
    }
  }
  if (b.clientSecretField !== undefined) {
    if (typeof b.clientSecretField !== 'string' || !SECRET_FIELD_PATTERN.test(b.clientSecretField)) {
      errors.push(
        fieldIssue(`${at}.clientSecretField`, 'must be a JSON field name (letters, digits, . _ -)'),
      );
    }
    if (b.clientSecretName === undefined)
      errors.push(fieldIssue(`${at}.clientSecretField`, `needs ${at}.clientSecretName`));
  }
  return errors;
}

/** What the session asks of the realm and the cookie: scopes, cookie name, session length. */
function signInSessionIssues(b: Record<string, unknown>, at: string): FieldIssue[] {
  const errors: FieldIssue[] = [];
  if (b.scopes !== undefined) {
    if (!Array.isArray(b.scopes) || !b.scopes.every((v) => typeof v === 'string' && SCOPE_TOKEN.test(v))) {
      errors.push(fieldIssue(`${at}.scopes`, 'must be a list of scope tokens without spaces or quotes'));
    } else if (!b.scopes.includes('openid')) {
      errors.push(fieldIssue(`${at}.scopes`, `must include 'openid'`));
    }
  }
  if (b.cookieName !== undefined && !isCookieName(b.cookieName)) {
    errors.push(fieldIssue(`${at}.cookieName`, `must be ${COOKIE_NAME_RULE}`));
  }
  if (b.maxSessionSeconds !== undefined && !isIntIn(b.maxSessionSeconds, 300, 2_592_000)) {
    errors.push(
      fieldIssue(`${at}.maxSessionSeconds`, 'must be an integer from 300 (5 minutes) to 2592000 (30 days)'),
    );
  }
  return errors;
}

/** Where browsers reach the API from: allowed origins, the CSRF header, the public URLs. */
function signInBrowserIssues(b: Record<string, unknown>, at: string): FieldIssue[] {
  const errors: FieldIssue[] = [];
  if (b.allowedOrigins !== undefined) {
    if (!Array.isArray(b.allowedOrigins))
      errors.push(fieldIssue(`${at}.allowedOrigins`, 'must be a list of https origins'));
    else
      b.allowedOrigins.forEach((o: unknown, i: number) => {
        // The authorizer's own rule for these origins (session.allowedOrigins).
        if (!isHttpsOrigin(o))
          errors.push(
            fieldIssue(
              `${at}.allowedOrigins[${i}]`,
              'must be an https origin such as https://app.example.com',
            ),
          );
      });
  }
  if (b.csrfHeader !== undefined && !isHeaderName(b.csrfHeader)) {
    errors.push(fieldIssue(`${at}.csrfHeader`, 'must be an HTTP header name'));
  }
  if (b.publicUrls !== undefined) {
    if (!Array.isArray(b.publicUrls))
      errors.push(fieldIssue(`${at}.publicUrls`, 'must be a list of https URLs'));
    else
      b.publicUrls.forEach((u: unknown, i: number) => {
        if (!isHttpsUrl(u))
          errors.push(
            fieldIssue(
              `${at}.publicUrls[${i}]`,
              'must be an https URL without a trailing slash, query or fragment',
            ),
          );
      });
  }
  return errors;
}

/**
 * A stage trusts its realm and, with `cognitoFederation`, the user pool that federates it: two issuers,
 * so every keycloak route then names the issuers whose tokens may meet it (the realm by its issuer URL,
 * the pool as COGNITO_FEDERATION_ISSUER). Client roles count from `keycloak.apiClientId` only.
 */
function validateStageIssuerScopes(
  s: Record<string, unknown>,
  routes: RouteSpec[],
  at: string,
): FieldIssue[] {
  const errors: FieldIssue[] = [];
  const kc = s.keycloak as Record<string, unknown>;
  const federated = s.cognitoFederation !== undefined;
  const names = [String(kc.issuer), ...(federated ? [COGNITO_FEDERATION_ISSUER] : [])];
  routes.forEach((r, i) => {
    if (r.auth !== 'keycloak') return;
    const f = `${at}.routes[${i}]`;
    const scope = r.requirement?.issuers;
    if (scope === undefined && federated) {
      errors.push(
        fieldIssue(
          f,
          `(${r.method} ${r.path}): with ${at}.cognitoFederation two issuers are trusted, so the requirement ` +
            `must name those whose tokens may meet it: set requirement.issuers to ['${names[0]}'], ` +
            `['${COGNITO_FEDERATION_ISSUER}'] or both`,
        ),
      );
    }
    for (const name of scope ?? []) {
      if (!names.includes(name)) {
        errors.push(
          fieldIssue(
            `${f}.requirement.issuers`,
            `: '${name}' is not ${names.map((n) => `'${n}'`).join(' or ')}`,
          ),
        );
      }
    }
    for (const mode of ['allOf', 'anyOf'] as const) {
      for (const entry of r.requirement?.[mode]?.clientRoles ?? []) {
        const client = entry.slice(0, entry.indexOf(':'));
        if (client !== kc.apiClientId) {
          errors.push(
            fieldIssue(
              `${f}.requirement.${mode}.clientRoles`,
              `: '${entry}' names client '${client}'; only roles of ` +
                `${at}.keycloak.apiClientId ('${String(kc.apiClientId)}') count`,
            ),
          );
        }
      }
    }
  });
  return errors;
}

/**
 * The model backend streams exactly one route, `POST /models/{modelId}/stream`, from its streaming
 * function; only REST APIs can stream (the HTTP API leaves the route out).
 */
function validateStreamRoutes(
  routes: readonly AppRouteConfig[],
  at: string,
  rest: boolean,
  restField: string,
): FieldIssue[] {
  const errors: FieldIssue[] = [];
  routes.forEach((r, i) => {
    const streamPath = r.auth === 'iam' ? MACHINE_STREAM_PATH : MODEL_STREAM_PATH;
    const isStreamRoute =
      r.method === 'POST' &&
      ((r.path === MODEL_STREAM_PATH && r.auth === 'keycloak') ||
        (r.path === MACHINE_STREAM_PATH && r.auth === 'iam'));
    if (r.stream === true && !isStreamRoute) {
      errors.push(
        fieldIssue(
          `${at}[${i}].stream`,
          `: only the keycloak route POST ${MODEL_STREAM_PATH} and the iam route POST ${MACHINE_STREAM_PATH} stream (the model backend's streaming function)`,
        ),
      );
    } else if (isStreamRoute && r.stream !== true) {
      errors.push(
        fieldIssue(
          `${at}[${i}].stream`,
          `must be true: the model backend answers POST ${streamPath} by streaming`,
        ),
      );
    } else if (r.stream === true && !rest) {
      errors.push(
        fieldIssue(
          `${at}[${i}].stream`,
          `: HTTP APIs cannot stream responses and ${restField} is false; deploy the REST API or remove the route`,
        ),
      );
    }
  });
  return errors;
}

function validateAppRoutes(
  input: unknown,
  at: string,
  resultCacheTtlSeconds: number | undefined,
): FieldIssue[] {
  if (!Array.isArray(input) || input.length === 0) return [fieldIssue(at, 'must list at least one route')];
  const errors: FieldIssue[] = [];
  input.forEach((r: unknown, i: number) => {
    if (!isObject(r)) return;
    unknownKeys(r, fieldsOf(RouteSchema), `${at}[${i}]`, errors);
    if (r.browser !== undefined && typeof r.browser !== 'boolean')
      errors.push(fieldIssue(`${at}[${i}].browser`, 'must be a boolean'));
    if (r.stream !== undefined && typeof r.stream !== 'boolean')
      errors.push(fieldIssue(`${at}[${i}].stream`, 'must be a boolean'));
  });
  // The shared model checks methods, paths, requirements, duplicates and, with the result cache on, the
  // shapes a cached policy cannot express.
  errors.push(...routeIssues(input, at, { resultCacheTtlSeconds }));
  return errors;
}

/**
 * API Gateway's per-API quotas and the authorizer's answer size (common/aws-limits.ts). The Secured API
 * constructs check the same quotas again at synth with the sign-in routes counted.
 */
function routeQuotaErrors(
  routes: readonly RouteSpec[],
  at: string,
  http: boolean,
  rest: boolean,
): FieldIssue[] {
  const errors: FieldIssue[] = [];
  if (http && routes.length > HTTP_API_ROUTES_PER_API) {
    errors.push(
      fieldIssue(
        at,
        `: ${routes.length} routes exceed the HTTP API quota of ${HTTP_API_ROUTES_PER_API} routes per API; split the stage`,
      ),
    );
  }
  const resources = rest ? restResourceCount(routes.map((r) => r.path)) : 0;
  if (resources > REST_API_RESOURCES_PER_API) {
    errors.push(
      fieldIssue(
        at,
        `: the paths make ${resources} REST API resources, over the quota of ${REST_API_RESOURCES_PER_API} resources per API; split the stage`,
      ),
    );
  }
  errors.push(...issuesAbout(at, policySizeErrors(routes, at)));
  return errors;
}

function validateMachinePrincipals(
  input: unknown,
  at: string,
  routes: readonly RouteSpec[],
  rest: boolean,
  account: unknown,
): FieldIssue[] {
  if (!Array.isArray(input)) return [fieldIssue(at, 'must be a list')];
  const errors: FieldIssue[] = [];
  const iamRoutes = new Set(routes.filter((r) => r.auth === 'iam').map((r) => `${r.method} ${r.path}`));
  input.forEach((p: unknown, i: number) => {
    const f = `${at}[${i}]`;
    if (!isObject(p)) {
      errors.push(fieldIssue(f, 'must be an object { roleArn, routes, crossAccount? }'));
      return;
    }
    unknownKeys(p, fieldsOf(MachinePrincipalSchema), f, errors);
    const m = typeof p.roleArn === 'string' ? ROLE_ARN.exec(p.roleArn) : null;
    if (!m)
      errors.push(fieldIssue(`${f}.roleArn`, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)'));
    if (!Array.isArray(p.routes) || p.routes.length === 0) {
      errors.push(
        fieldIssue(`${f}.routes`, `must list at least one iam route key such as 'GET /machine/models'`),
      );
    } else {
      p.routes.forEach((key: unknown, j: number) => {
        const km = typeof key === 'string' ? ROUTE_KEY.exec(key) : null;
        if (!km || !HTTP_METHODS.includes(km[1] as HttpMethod)) {
          errors.push(fieldIssue(`${f}.routes[${j}]`, `must be a route key 'METHOD /path'`));
        } else if (!iamRoutes.has(key as string)) {
          errors.push(
            fieldIssue(
              `${f}.routes[${j}]`,
              `: '${String(key)}' is not an iam route of this stage (grants are for iam routes only)`,
            ),
          );
        }
      });
    }
    if (p.crossAccount !== undefined && typeof p.crossAccount !== 'boolean')
      errors.push(fieldIssue(`${f}.crossAccount`, 'must be a boolean'));
    if (p.crossAccount === true) {
      if (!rest)
        errors.push(
          fieldIssue(`${f}.crossAccount`, 'needs the REST API: only REST APIs have resource policies'),
        );
      if (m && typeof account === 'string' && m[1] === account) {
        errors.push(
          fieldIssue(
            `${f}.crossAccount`,
            `: the role is in this stage's account ${account}; leave crossAccount out`,
          ),
        );
      }
    }
  });
  return errors;
}

function validateAuthorizerOptions(input: unknown, at: string): FieldIssue[] {
  if (!isObject(input)) return [fieldIssue(at, 'must be an object')];
  const errors: FieldIssue[] = [];
  unknownKeys(input, fieldsOf(StageSchema.entries.authorizer), at, errors);
  if (input.cacheTtlSeconds !== undefined && !isIntIn(input.cacheTtlSeconds, 0, 3600)) {
    errors.push(fieldIssue(`${at}.cacheTtlSeconds`, 'must be an integer from 0 to 3600 (1 hour)'));
  }
  if (input.responseMode !== undefined && input.responseMode !== 'iam' && input.responseMode !== 'simple') {
    errors.push(fieldIssue(`${at}.responseMode`, `must be 'iam' or 'simple'`));
  }
  if (input.clockSkewSeconds !== undefined && !isIntIn(input.clockSkewSeconds, 0, 60)) {
    errors.push(fieldIssue(`${at}.clockSkewSeconds`, 'must be an integer from 0 to 60'));
  }
  return errors;
}

function unknownKeys(
  o: Record<string, unknown>,
  known: readonly string[],
  at: string,
  errors: FieldIssue[],
): void {
  errors.push(...unknownFieldIssues(o, known, at, 'known field'));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isOrigin(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    const local = u.protocol === 'http:' && (u.hostname === 'localhost' || u.hostname === '127.0.0.1');
    return (u.protocol === 'https:' || local) && u.origin === v;
  } catch {
    return false;
  }
}

function isCallbackUrl(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || (u.protocol === 'http:' && u.hostname === 'localhost');
  } catch {
    return false;
  }
}
