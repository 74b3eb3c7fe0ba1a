/**
 * A loopback HTTP server with API Gateway's authorization semantics, serving one stage's route table:
 *
 * - `keycloak` routes: the identity source (the token header; plus `$context.routeKey` in simple response
 *   mode) must be present, else 401 without calling the authorizer; the Lambda REQUEST authorizer is called
 *   with a real-shaped event; its `Unauthorized` error is a 401; its IAM policy is evaluated against the
 *   request's ARN (explicit Deny wins), a simple response by `isAuthorized`; a refusal is a 403; anything
 *   else it does is a 500. Results are cached for the TTL, keyed on the identity-source values and shared
 *   per authorizer. The authorizer context is forwarded to the integration; on the HTTP API it is also
 *   mapped to the `x-keygate-*` headers, overwriting any the client sent, while on the REST API the
 *   client's headers pass through unchanged, forged `x-keygate-*` ones included, as API Gateway does.
 * - `iam` routes: Signature Version 4 against local test credentials, then the principal's grant of the
 *   route (its IAM policy), each refusal a 403 with API Gateway's message.
 * - the integration (the model backend) is invoked with a real-shaped proxy event; its proxy result is
 *   the response.
 *
 * Each request is reported (status, reason, whether the authorizer ran or its cached result was used)
 * through `onRequest`, which the demo, the tests and the access log use.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { CONTEXT_KEYS, IDENTITY_HEADERS } from '../../common/identity-context';
import type { ContextKey } from '../../common/identity-context';
import { matchRoute, routeKey as routeKeyOf } from '../../common/route-model';
import type { HttpMethod, RouteSpec } from '../../common/route-model';
import type { ResponseMode } from '../../common/authorizer-config';
import { ACCESS_DENIED_HTML } from '../../common/gateway-responses';
import { STEP_UP_CONTEXT_KEY } from '../../common/step-up';
import { headersV2, methodArn, proxyEventRest, proxyEventV2 } from './api-events';
import type { ApiContext, ApiType, IncomingRequest, IntegrationAuthorizer, MatchedRoute } from './api-events';
import { proxyEventV1Http } from './api-events-v1';
import { evaluatePolicy, InvalidAuthorizerResponse, validatePolicy } from './iam-policy';
import { AuthorizerResultCache } from './result-cache';
import { authorizerEvent, authorizerState, identityValues } from './route-authorizers';
import type { AuthorizerState, GatewayAuthorizer } from './route-authorizers';
import { createResponseStream, readStreamedResponse } from './lambda-response-stream';
import { API_KEY_HEADER } from '../../common/usage-tiers-iam';
import { checkSigV4 } from './sigv4-check';
import type { LocalIamCredential, SigV4Reason } from './sigv4-check';
import type { UsageCaller, UsageLimiter, UsageReason } from './usage-limiter';

/** A Lambda handler as the gateway calls it. */
export type LambdaFunction = (event: unknown) => Promise<unknown>;

/** A response-streaming Lambda handler (`awslambda.streamifyResponse`'s inner function). */
export type StreamingLambdaFunction = (event: unknown, responseStream: Writable) => Promise<void>;

export interface GatewayCors {
  /** Allowed origins; `*` allows any. */
  readonly allowOrigins: readonly string[];
  readonly allowHeaders: readonly string[];
  /** @default 600 */
  readonly maxAgeSeconds?: number;
}

export interface PublicRoute {
  readonly method: HttpMethod;
  readonly path: string;
  readonly integration: LambdaFunction;
  /** A streaming integration (REST), in place of `integration`: its answer is passed on as written. */
  readonly stream?: StreamingLambdaFunction;
}

export interface LocalGatewayOptions {
  readonly routes: readonly RouteSpec[];
  /** The Keygate authorizer's handler (or any REQUEST authorizer). */
  readonly authorizer: LambdaFunction;
  /** The integration every route invokes. */
  readonly integration: LambdaFunction;
  /** Integrations of single routes, by route key (`GET /orders`), in place of `integration`. */
  readonly integrations?: Readonly<Record<string, LambdaFunction>>;
  /** @default 'http' */
  readonly apiType?: ApiType;
  /** HTTP API payload 2.0 authorizer response form. @default 'iam' */
  readonly responseMode?: ResponseMode;
  /** Authorizer result cache TTL; 0 turns caching off. @default 300 */
  readonly cacheTtlSeconds?: number;
  /** The token header (the identity source). @default 'Authorization' */
  readonly tokenHeader?: string;
  /** REST TOKEN authorizers get the token header's value alone (`api-events-v1.ts`). @default 'REQUEST' */
  readonly authorizerType?: 'REQUEST' | 'TOKEN';
  /** TOKEN authorizers' `IdentityValidationExpression`: a token not matching it is a 401, no call. */
  readonly tokenValidation?: RegExp;
  /**
   * Routes (by route key) calling an authorizer of their own, with its own settings and result cache
   * (route-authorizers.ts), in place of `authorizer` and its settings. @default - every route uses `authorizer`
   */
  readonly routeAuthorizers?: Readonly<Record<string, GatewayAuthorizer>>;
  /** HTTP API routes (route keys) whose integration takes payload format 1.0. @default - none */
  readonly payloadV1Routes?: readonly string[];
  /**
   * `none`: the authorizer has no identity sources (browser sessions in a cookie): it is called for every
   * request, nothing is cached, and a request without a token still reaches it. @default 'header'
   */
  readonly identitySource?: 'header' | 'none';
  /** Routes without authorization, each with its own integration (e.g. the sign-in routes under /auth). */
  readonly publicRoutes?: readonly PublicRoute[];
  /** CORS as the API's `corsPreflight` configures it. @default - no CORS headers, no preflight answers */
  readonly cors?: GatewayCors;
  readonly iamCredentials?: readonly LocalIamCredential[];
  /** @default 'eu-west-1' */
  readonly region?: string;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** @default 'local' */
  readonly apiId?: string;
  /** @default '$default' (HTTP) / 'local' (REST) */
  readonly stage?: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 */
  readonly port?: number;
  /** Epoch milliseconds, for the cache TTL and SigV4 freshness. @default Date.now */
  readonly now?: () => number;
  readonly onRequest?: (record: GatewayRecord) => void;
  /** Largest request body. API Gateway's limit is 10 MB. @default 10 MiB */
  readonly maxBodyBytes?: number;
  /**
   * Routes whose integration streams (REST APIs only: response transfer mode STREAM), by route key, and
   * the streaming function they invoke. The answer reaches the client as the function writes it.
   * @default - no streaming routes
   */
  readonly streaming?: {
    readonly routes: readonly string[];
    readonly integration: StreamingLambdaFunction;
  };
  /** Usage plans (REST APIs): per-caller throttles and quotas (usage-limiter.ts). @default - none */
  readonly usage?: UsageLimiter;
  /**
   * The API's own answer to a refusal the gateway makes itself (a REST API's gateway responses), or
   * undefined for the default `{"message": ...}`. @default - the default answers
   */
  readonly gatewayResponse?: (refusal: {
    readonly status: number;
    readonly message: string;
    readonly reason: GatewayReason;
    readonly requestId: string;
    readonly context?: Readonly<Record<string, string>>;
    /** A REST policy deny's challenge: the authorizer context's STEP_UP_CONTEXT_KEY value. */
    readonly challenge?: string;
  }) => { status: number; headers: Record<string, string>; body: string } | undefined;
}

/** Why the gateway answered as it did. Authorizer reasons come from its decision log. */
export type GatewayReason =
  | 'route_not_found'
  | 'identity_source_missing'
  | 'identity_source_invalid'
  | 'authorizer_unauthorized'
  | 'authorizer_error'
  | 'policy_allow'
  | 'policy_deny'
  | 'simple_allow'
  | 'simple_deny'
  | 'iam_allow'
  | 'iam_not_authorized'
  | 'route_auth_not_emulated'
  | 'public_route'
  | 'cors_preflight'
  | 'body_too_large'
  | 'integration_error'
  | SigV4Reason
  | UsageReason;

export interface GatewayRecord {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly routeKey?: string;
  readonly status: number;
  readonly reason: GatewayReason;
  /** true when the authorizer function ran for this request; false for a cache hit or no call. */
  readonly authorizerInvoked: boolean;
  readonly cacheHit: boolean;
  readonly durationMs: number;
}

export interface LocalGateway {
  readonly url: string;
  readonly api: ApiContext;
  readonly stats: { authorizerInvocations: number; cacheHits: number; requests: number };
  readonly cache: AuthorizerResultCache<unknown>;
  close(): Promise<void>;
}

const IDENTITY_HEADER_NAMES = new Set(Object.values(IDENTITY_HEADERS));

/**
 * API Gateway selects a gateway response template by the request's Accept media type, `application/json`
 * when absent (https://docs.aws.amazon.com/apigateway/latest/developerguide/models-mappings.html). Emulated
 * as: the first listed media type that has a template wins; none → JSON.
 */
function prefersHtml(accept: string | undefined): boolean {
  for (const part of (accept ?? '').split(',')) {
    const type = part.split(';')[0].trim().toLowerCase();
    if (type === 'text/html') return true;
    if (type === 'application/json') return false;
  }
  return false;
}

/** The text/html ACCESS_DENIED template with API Gateway's plain `$context` substitution applied. */
function accessDeniedHtml(signIn: string, requestId: string): string {
  // Function replacers: a `$` in a value must not be read as a replacement pattern.
  return ACCESS_DENIED_HTML.replace('$context.authorizer.signIn', () => signIn).replace(
    '$context.requestId',
    () => requestId,
  );
}

function pick(headers: Record<string, string>, name: string): Record<string, string> {
  return headers[name] !== undefined ? { [name]: headers[name] } : {};
}

class HttpError {
  constructor(
    readonly status: number,
    readonly message: string,
    readonly reason: GatewayReason,
    readonly extra?: Readonly<Record<string, string>>,
    /** A `WWW-Authenticate` value the gateway response sends. */
    readonly challenge?: string,
  ) {}
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function rawPairs(req: IncomingMessage): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) out.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
  return out;
}

/** The response shape API Gateway accepts (and caches); anything else is a 500 for every route. */
function wellFormed(response: unknown, mode: ResponseMode): boolean {
  if (typeof response !== 'object' || response === null) return false;
  try {
    contextOf(response);
  } catch {
    return false;
  }
  const r = response as { isAuthorized?: unknown; principalId?: unknown; policyDocument?: unknown };
  if (mode === 'simple') return typeof r.isAuthorized === 'boolean';
  try {
    validatePolicy(r.policyDocument);
  } catch {
    return false;
  }
  return typeof r.principalId === 'string';
}

/** Context values API Gateway forwards: strings, numbers and booleans, as strings. */
function contextOf(response: unknown): Record<string, string> {
  const ctx = (response as { context?: unknown })?.context;
  const out: Record<string, string> = {};
  if (typeof ctx !== 'object' || ctx === null) return out;
  for (const [k, v] of Object.entries(ctx)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else throw new InvalidAuthorizerResponse(`context.${k} is not a string, number or boolean`);
  }
  return out;
}

/** One gateway's settings, with their defaults applied once, and its counters and result cache. */
interface GatewayState {
  readonly options: LocalGatewayOptions;
  readonly apiType: ApiType;
  readonly now: () => number;
  readonly maxBody: number;
  /** The gateway's own authorizer, and those routes name (`routeAuthorizers`), by route key. */
  readonly authorizer: AuthorizerState;
  readonly routeAuthorizers: ReadonlyMap<string, AuthorizerState>;
  readonly publicRoutes: readonly (PublicRoute & { readonly auth: 'iam' })[];
  readonly stats: { authorizerInvocations: number; cacheHits: number; requests: number };
  readonly region: string;
  readonly streamingRoutes: ReadonlySet<string>;
  readonly payloadV1: ReadonlySet<string>;
  readonly api: ApiContext;
  /** The listening port, known once the server listens. */
  port: number;
}

function gatewayState(options: LocalGatewayOptions): GatewayState {
  const apiType = options.apiType ?? 'http';
  if (options.streaming && apiType !== 'rest') {
    // HTTP APIs buffer integration answers: there is no streaming to emulate.
    throw new Error(
      'startLocalGateway: streaming routes need apiType rest; HTTP APIs cannot stream responses',
    );
  }
  const now = options.now ?? Date.now;
  const region = options.region ?? 'eu-west-1';
  // One state (and one result cache) per authorizer, shared by the routes naming it.
  const states = new Map<GatewayAuthorizer, AuthorizerState>();
  const stateOf = (a: GatewayAuthorizer) =>
    states.get(a) ?? states.set(a, authorizerState(a, apiType, now)).get(a)!;
  return {
    options,
    apiType,
    now,
    maxBody: options.maxBodyBytes ?? 10 * 1024 * 1024,
    authorizer: authorizerState(options, apiType, now),
    routeAuthorizers: new Map(
      Object.entries(options.routeAuthorizers ?? {}).map(([key, a]) => [key, stateOf(a)]),
    ),
    publicRoutes: (options.publicRoutes ?? []).map((r) => ({ ...r, auth: 'iam' as const })),
    stats: { authorizerInvocations: 0, cacheHits: 0, requests: 0 },
    region,
    streamingRoutes: new Set(options.streaming?.routes ?? []),
    payloadV1: new Set(apiType === 'http' ? (options.payloadV1Routes ?? []) : []),
    api: {
      type: apiType,
      region,
      accountId: options.accountId ?? '000000000000',
      apiId: options.apiId ?? 'local',
      stage: options.stage ?? (apiType === 'http' ? '$default' : 'local'),
    },
    port: 0,
  };
}

export async function startLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  const g = gatewayState(options);
  const server: Server = createServer((req, res) => {
    void handle(g, req, res);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  g.port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${g.port}`,
    api: g.api,
    stats: g.stats,
    cache: g.authorizer.cache,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

/** What the authorizer said of a request the gateway lets through. */
interface Authorized {
  readonly principalId: string;
  readonly context: Record<string, string>;
  readonly reason: GatewayReason;
  readonly usageKey?: string;
}

/**
 * A Lambda authorizer route: the identity source, the result cache, the authorizer's call, then its
 * answer read as API Gateway reads it (a policy evaluated against the request ARN, or a simple response).
 */
async function authorize(
  g: GatewayState,
  incoming: IncomingRequest,
  route: MatchedRoute,
  record: { authorizerInvoked: boolean; cacheHit: boolean },
): Promise<Authorized> {
  const a = g.routeAuthorizers.get(route.routeKey) ?? g.authorizer;
  const values = identityValues(a, incoming);
  const token = values[0] ?? '';
  // API Gateway: a missing or empty identity source is a 401 and the authorizer is not called.
  if (!a.noIdentitySource && values.some((v) => v.trim() === '')) {
    throw new HttpError(401, 'Unauthorized', 'identity_source_missing');
  }
  // A TOKEN authorizer's validation expression is checked before any call (and any cache lookup).
  if (a.options.tokenValidation && !a.options.tokenValidation.test(token)) {
    throw new HttpError(401, 'Unauthorized', 'identity_source_invalid');
  }
  const identitySource = a.noIdentitySource
    ? []
    : a.responseMode === 'simple'
      ? [...values, route.routeKey]
      : values;
  const key = AuthorizerResultCache.key(identitySource);
  let response = a.cache.get(key);
  if (response !== undefined) {
    g.stats.cacheHits++;
    record.cacheHit = true;
  } else {
    g.stats.authorizerInvocations++;
    record.authorizerInvoked = true;
    response = await callAuthorizer(g, a, incoming, route, token, identitySource);
    a.cache.set(key, response);
  }
  try {
    return readAuthorizerAnswer(g, a, incoming, response);
  } catch (e) {
    if (e instanceof HttpError) throw e;
    throw new HttpError(500, 'Internal Server Error', 'authorizer_error');
  }
}

/** Calls the authorizer with the event of its kind; a malformed answer is a 500 (and is not cached). */
async function callAuthorizer(
  g: GatewayState,
  a: AuthorizerState,
  incoming: IncomingRequest,
  route: MatchedRoute,
  token: string,
  identitySource: readonly string[],
): Promise<unknown> {
  const event = authorizerEvent(a, g.api, incoming, route, token, identitySource);
  let response: unknown;
  try {
    response = await a.options.authorizer(event);
  } catch (e) {
    // The documented way to answer 401 is to fail with exactly "Unauthorized"; 401s are not cached.
    if (e instanceof Error && e.message === 'Unauthorized') {
      throw new HttpError(401, 'Unauthorized', 'authorizer_unauthorized');
    }
    throw new HttpError(500, 'Internal Server Error', 'authorizer_error');
  }
  if (!wellFormed(response, a.responseMode)) {
    throw new HttpError(500, 'Internal Server Error', 'authorizer_error');
  }
  return response;
}

function readAuthorizerAnswer(
  g: GatewayState,
  a: AuthorizerState,
  incoming: IncomingRequest,
  response: unknown,
): Authorized {
  const context = contextOf(response);
  if (a.responseMode === 'simple') {
    const ok = (response as { isAuthorized?: unknown }).isAuthorized;
    if (typeof ok !== 'boolean') throw new InvalidAuthorizerResponse('isAuthorized is not a boolean');
    if (!ok) throw new HttpError(403, 'Forbidden', 'simple_deny');
    return { principalId: '', context, reason: 'simple_allow' };
  }
  const principalId = (response as { principalId?: unknown }).principalId;
  if (typeof principalId !== 'string') throw new InvalidAuthorizerResponse('principalId is missing');
  const effect = evaluatePolicy(
    (response as { policyDocument?: unknown }).policyDocument,
    methodArn(g.api, incoming.method, incoming.rawPath),
  );
  if (effect !== 'allow') {
    // REST: the ACCESS_DENIED gateway response can carry `$context.authorizer.signIn` (browser sign-in).
    const signIn = g.apiType === 'rest' ? context.signIn : undefined;
    // REST: SecuredRestApi maps `$context.authorizer.stepUp` to WWW-Authenticate (common/step-up.ts).
    const challenge = g.apiType === 'rest' ? context[STEP_UP_CONTEXT_KEY] : undefined;
    throw new HttpError(403, 'Forbidden', 'policy_deny', signIn ? { signIn } : undefined, challenge);
  }
  const usageKey = (response as { usageIdentifierKey?: unknown }).usageIdentifierKey;
  return {
    principalId,
    context,
    reason: 'policy_allow',
    ...(typeof usageKey === 'string' ? { usageKey } : {}),
  };
}

/** A usage plan's refusal (429 over a limit, 403 without a plan's key), after authorization. */
function admit(g: GatewayState, caller: UsageCaller, routeKey: string): void {
  const refusal = g.options.usage?.admit(caller, routeKey);
  if (refusal) throw new HttpError(refusal.status, refusal.message, refusal.reason);
}

/** An IAM route: Signature Version 4, then the principal's grant of the route. */
async function authorizeIam(
  g: GatewayState,
  incoming: IncomingRequest,
  routeKey: string,
): Promise<IntegrationAuthorizer> {
  const { method, rawPath, rawQuery, body } = incoming;
  const { headers } = headersV2(incoming.headers);
  const check = await checkSigV4(
    { method, path: rawPath, rawQuery, headers: { ...headers, ...cookieHeader(incoming) }, body },
    { region: g.region, credentials: g.options.iamCredentials ?? [], now: g.now },
  );
  if (!check.ok) {
    const message = check.reason === 'sigv4_missing' && g.apiType === 'http' ? 'Forbidden' : check.message;
    throw new HttpError(403, message, check.reason);
  }
  const c = check.credential;
  const granted = c.routes.some((k) => k === '*' || k === routeKey);
  if (!granted) {
    throw new HttpError(
      403,
      `User: ${c.callerArn} is not authorized to perform: execute-api:Invoke on resource: ${methodArn(g.api, method, rawPath)}`,
      'iam_not_authorized',
    );
  }
  // With roleArn usage tiers, the X-API-Key header names the plan (common/usage-tiers-iam.ts).
  admit(g, { kind: 'iam', callerArn: c.callerArn, apiKey: headers[API_KEY_HEADER] }, routeKey);
  return {
    kind: 'iam',
    identity: {
      accessKey: c.accessKeyId,
      accountId: accountOf(c.callerArn),
      callerId: c.callerId,
      userArn: c.callerArn,
    },
  };
}

/** One request's response writer: CORS headers and the request id on every response, status recorded. */
interface Reply {
  readonly requestId: string;
  /** The origin a CORS response names: undefined when CORS is off or the origin is not allowed. */
  readonly corsOrigin?: string;
  status: number;
  head(code: number, headers: Record<string, string | string[]>): void;
  send(code: number, headers: Record<string, string | string[]>, body: string | Buffer): void;
}

function replyTo(g: GatewayState, req: IncomingMessage, res: ServerResponse, requestId: string): Reply {
  const idHeader = g.apiType === 'http' ? 'apigw-requestid' : 'x-amzn-requestid';
  const origin = req.headers.origin;
  const allowed = g.options.cors?.allowOrigins;
  const corsOrigin =
    allowed && typeof origin === 'string'
      ? allowed.includes('*')
        ? '*'
        : allowed.includes(origin)
          ? origin
          : undefined
      : undefined;
  const reply: Reply = {
    requestId,
    ...(corsOrigin ? { corsOrigin } : {}),
    status: 500,
    head(code, headers) {
      reply.status = code;
      // CORS headers go on every response to an allowed origin, the integration's and the gateway's own.
      const cors = corsOrigin ? { 'access-control-allow-origin': corsOrigin, vary: 'Origin' } : {};
      res.writeHead(code, { ...headers, ...cors, [idHeader]: requestId });
    },
    send(code, headers, body) {
      reply.head(code, headers);
      res.end(body);
    },
  };
  return reply;
}

async function handle(g: GatewayState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  g.stats.requests++;
  const reply = replyTo(g, req, res, randomUUID());
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const method = (req.method ?? 'GET').toUpperCase();
  const record = { authorizerInvoked: false, cacheHit: false };
  let routeKey: string | undefined;
  let reason: GatewayReason = 'integration_error';
  try {
    const body = await readBody(req, g.maxBody);
    if (body === undefined) throw new HttpError(413, 'Request Entity Too Large', 'body_too_large');
    // API Gateway answers a CORS preflight itself (no authorizer, no integration) when CORS is configured:
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html
    if (g.options.cors && method === 'OPTIONS' && req.headers['access-control-request-method']) {
      reason = 'cors_preflight';
      answerPreflight(g, reply);
      return;
    }
    const incoming: IncomingRequest = {
      method,
      rawPath,
      rawQuery: q < 0 ? '' : url.slice(q + 1),
      headers: rawPairs(req),
      body,
      sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      requestId: reply.requestId,
      timeEpoch: g.now(),
      host: req.headers.host ?? `127.0.0.1:${g.port}`,
    };
    const matched = matchIncoming(g, method, rawPath);
    routeKey = matched.route.routeKey;
    const admitted = await admitRoute(g, incoming, matched, record);
    reason = admitted.reason;
    await runIntegration(g, incoming, matched, admitted.authorizer, reply, res);
  } catch (e) {
    const err = e instanceof HttpError ? e : new HttpError(500, 'Internal Server Error', 'integration_error');
    reason = err.reason;
    sendRefusal(g, req, reply, err);
  } finally {
    g.options.onRequest?.({
      requestId: reply.requestId,
      method,
      path: rawPath,
      routeKey,
      status: reply.status,
      reason,
      authorizerInvoked: record.authorizerInvoked,
      cacheHit: record.cacheHit,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
    });
  }
}

function answerPreflight(g: GatewayState, reply: Reply): void {
  const cors = g.options.cors!;
  reply.send(
    204,
    reply.corsOrigin !== undefined
      ? {
          'access-control-allow-methods': '*',
          'access-control-allow-headers': cors.allowHeaders.join(','),
          'access-control-max-age': String(cors.maxAgeSeconds ?? 600),
        }
      : {},
    '',
  );
}

/** A request's route: its key, path template and parameters, how it is authorized, and whether it is public. */
interface MatchedIncoming {
  readonly route: MatchedRoute;
  readonly auth: RouteSpec['auth'];
  /** A public route (no authorization) and its integration. */
  readonly publicRoute?: PublicRoute;
}

/** The route a request names: a public one first, else one of the table; unknown is API Gateway's 404/403. */
function matchIncoming(g: GatewayState, method: string, rawPath: string): MatchedIncoming {
  const pub = matchRoute(g.publicRoutes, method, rawPath);
  const match = pub ?? matchRoute(g.options.routes, method, rawPath);
  if (!match) {
    // HTTP APIs answer an unknown route with 404; REST APIs with 403 "Missing Authentication Token".
    throw g.apiType === 'http'
      ? new HttpError(404, 'Not Found', 'route_not_found')
      : new HttpError(403, 'Missing Authentication Token', 'route_not_found');
  }
  const route = { routeKey: routeKeyOf(match.route), resource: match.route.path, params: match.params };
  const publicRoute = pub ? g.publicRoutes.find((r) => r === pub.route) : undefined;
  return publicRoute ? { route, auth: 'iam', publicRoute } : { route, auth: match.route.auth };
}

/** Who may pass: nobody asked on a public route, the Lambda authorizer, or SigV4 and the IAM grant. */
async function admitRoute(
  g: GatewayState,
  incoming: IncomingRequest,
  matched: MatchedIncoming,
  record: { authorizerInvoked: boolean; cacheHit: boolean },
): Promise<{ reason: GatewayReason; authorizer: IntegrationAuthorizer }> {
  const routeKey = matched.route.routeKey;
  if (matched.publicRoute) return { reason: 'public_route', authorizer: { kind: 'none' } };
  if (matched.auth === 'keycloak') {
    const result = await authorize(g, incoming, matched.route, record);
    const apiKey = headersV2(incoming.headers).headers[API_KEY_HEADER];
    admit(g, { kind: 'key', usageKey: result.usageKey, apiKey }, routeKey);
    return {
      reason: result.reason,
      authorizer: { kind: 'lambda', principalId: result.principalId, context: result.context },
    };
  }
  if (matched.auth === 'iam')
    return { reason: 'iam_allow', authorizer: await authorizeIam(g, incoming, routeKey) };
  throw new HttpError(401, 'Unauthorized', 'route_auth_not_emulated');
}

/** The integration's event, its call (streamed or buffered) and its proxy result as the response. */
async function runIntegration(
  g: GatewayState,
  incoming: IncomingRequest,
  matched: MatchedIncoming,
  authorizer: IntegrationAuthorizer,
  reply: Reply,
  res: ServerResponse,
): Promise<void> {
  const { route } = matched;
  const forwarded = forwardedHeaders(incoming.headers, authorizer, g.apiType);
  const event = g.payloadV1.has(route.routeKey)
    ? proxyEventV1Http(g.api, incoming, route, forwarded, authorizer)
    : g.apiType === 'http'
      ? (() => {
          const v2 = headersV2(forwarded);
          return proxyEventV2(g.api, incoming, route, v2.headers, v2.cookies, authorizer);
        })()
      : proxyEventRest(g.api, incoming, route, forwarded, authorizer);
  const stream = matched.publicRoute
    ? matched.publicRoute.stream
    : g.streamingRoutes.has(route.routeKey)
      ? g.options.streaming?.integration
      : undefined;
  if (stream) {
    await relayStream(stream, event, res, (code, metadata) =>
      reply.head(code, responseHeaders(metadata.headers, metadata.multiValueHeaders, metadata.cookies)),
    );
    return;
  }
  const integration =
    matched.publicRoute?.integration ?? g.options.integrations?.[route.routeKey] ?? g.options.integration;
  let result: unknown;
  try {
    result = await integration(event);
  } catch {
    throw new HttpError(500, 'Internal Server Error', 'integration_error');
  }
  const r = result as {
    statusCode?: unknown;
    headers?: unknown;
    multiValueHeaders?: unknown;
    cookies?: unknown;
    body?: unknown;
    isBase64Encoded?: unknown;
  };
  if (typeof r !== 'object' || r === null || typeof r.statusCode !== 'number') {
    throw new HttpError(502, 'Internal Server Error', 'integration_error');
  }
  const headers = responseHeaders(r.headers, r.multiValueHeaders, r.cookies);
  const text = typeof r.body === 'string' ? r.body : '';
  reply.send(r.statusCode, headers, r.isBase64Encoded === true ? Buffer.from(text, 'base64') : text);
}

/** The gateway's own refusal: API Gateway's JSON message, the REST HTML page, or the API's template. */
function sendRefusal(g: GatewayState, req: IncomingMessage, reply: Reply, err: HttpError): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (err.status === 401 && g.apiType === 'http') headers['www-authenticate'] = 'Bearer';
  if (err.challenge !== undefined) headers['www-authenticate'] = err.challenge;
  if (err.reason === 'policy_deny' && g.apiType === 'rest' && prefersHtml(req.headers.accept)) {
    // The REST ACCESS_DENIED gateway response's text/html template (SecuredRestApi), chosen by Accept.
    reply.send(
      err.status,
      { 'content-type': 'text/html', ...pick(headers, 'www-authenticate') },
      accessDeniedHtml(err.extra?.signIn ?? '', reply.requestId),
    );
    return;
  }
  const own = g.options.gatewayResponse?.({
    ...err,
    requestId: reply.requestId,
    ...(err.extra ? { context: err.extra } : {}),
  });
  if (own) return reply.send(own.status, own.headers, own.body);
  reply.send(err.status, headers, JSON.stringify({ message: err.message, ...err.extra }));
}

/**
 * Runs a streaming integration and passes its payload on as it is written: the metadata prelude becomes
 * the status line and headers, then each chunk is written to the client at once (chunked transfer
 * encoding, as Node sends a body without a content-length). A client that goes away closes the function's
 * response stream, which a streaming handler reads as "stop". An integration that fails before its
 * prelude is a 502, as API Gateway answers a broken integration.
 */
async function relayStream(
  integration: StreamingLambdaFunction,
  event: unknown,
  res: ServerResponse,
  head: (code: number, metadata: Record<string, unknown>) => void,
): Promise<void> {
  const stream = createResponseStream();
  res.on('close', () => {
    if (!res.writableFinished) stream.destroy();
  });
  const finished = integration(event, stream).then(
    () => {
      if (!stream.writableEnded) stream.end();
    },
    (err: unknown) => stream.destroy(err as Error),
  );
  let streamed;
  try {
    streamed = await readStreamedResponse(stream);
  } catch {
    await finished;
    throw new HttpError(502, 'Internal Server Error', 'integration_error');
  }
  head(streamed.statusCode, streamed.metadata);
  res.flushHeaders();
  try {
    for await (const chunk of streamed.body) {
      if (res.destroyed) break;
      res.write(chunk);
    }
  } catch {
    // The function failed or the client left mid-stream: the client gets what was written so far.
  }
  await finished;
  if (!res.destroyed) res.end();
}

/**
 * Proxy-result headers: `headers`, then REST's `multiValueHeaders` (every value), then HTTP API 2.0's
 * `cookies` (one Set-Cookie each).
 */
function responseHeaders(
  single: unknown,
  multi: unknown,
  cookies: unknown,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const add = (name: string, value: string) => {
    const key = name.toLowerCase();
    const prev = out[key];
    out[key] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
  };
  if (typeof single === 'object' && single !== null) {
    for (const [k, v] of Object.entries(single)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') add(k, String(v));
    }
  }
  if (typeof multi === 'object' && multi !== null) {
    for (const [k, list] of Object.entries(multi)) {
      if (!Array.isArray(list)) continue;
      // A name in both maps: the multi-value list holds every value.
      delete out[k.toLowerCase()];
      for (const v of list) if (typeof v === 'string') add(k, v);
    }
  }
  if (Array.isArray(cookies)) for (const c of cookies) if (typeof c === 'string') add('set-cookie', c);
  return out;
}

function cookieHeader(req: IncomingRequest): Record<string, string> {
  const values = req.headers.filter(([n]) => n.toLowerCase() === 'cookie').map(([, v]) => v);
  return values.length ? { cookie: values.join('; ') } : {};
}

function accountOf(arn: string): string {
  return /^arn:[^:]+:[^:]+::(\d{12}):/.exec(arn)?.[1] ?? '';
}

/**
 * The request headers the integration sees.
 * - HTTP API: any `x-keygate-*` identity header the client sent is dropped, and for authorizer routes each
 *   context value is set under its header (Keygate's `overwrite:header.x-keygate-*` parameter mapping;
 *   IAM routes get `remove:header` instead).
 * - REST API: the client's headers, unchanged. A REST Lambda proxy integration passes request headers
 *   through as the client sent them and delivers the authorizer context only in
 *   `requestContext.authorizer` (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format),
 *   so a forged `x-keygate-sub` reaches the backend here as it would in AWS.
 */
function forwardedHeaders(
  raw: IncomingRequest['headers'],
  authorizer: IntegrationAuthorizer,
  apiType: ApiType,
): [string, string][] {
  if (apiType === 'rest') return raw.map(([n, v]) => [n, v]);
  const out: [string, string][] = raw.filter(([n]) => !IDENTITY_HEADER_NAMES.has(n.toLowerCase())) as [
    string,
    string,
  ][];
  if (authorizer.kind === 'lambda') {
    for (const key of Object.keys(CONTEXT_KEYS) as ContextKey[]) {
      const v = authorizer.context[CONTEXT_KEYS[key]];
      if (v !== undefined && v !== '') out.push([IDENTITY_HEADERS[key], v]);
    }
  }
  return out;
}
