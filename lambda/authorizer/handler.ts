/**
 * The request pipeline, read top to bottom in `decide`, each step a named function of this file:
 *
 *   parseEvent → routeOf → findBearer / openSession → verifyCredential → confirmCredential → CHECKS
 *   → decideRoute → respond
 *
 * and `handle` around it: the duration, one decision log line, the `Unauthorized` error. The configuration
 * is loaded once per container by the caller (index.ts) and turned into a Pipeline by `preparePipeline`.
 * With browser sessions configured, a sealed session cookie supplies the token when no bearer token was
 * presented.
 *
 * Adding a check on a verified caller is one entry in CHECKS: a named, synchronous `Check` that answers
 * undefined to go on, or a Refusal (401 or 403, with its reason code). A check that must wait (a DPoP
 * proof's replay store, the revocation list) is a step of confirmCredential, in a module of its own that
 * only a configuration using it loads (optional-modules.ts): an unconfigured feature costs no awaited
 * step and no code on the request path.
 *
 * Caches: at most four (JWKS, verified claims, entitlement profiles, the revocation list), each listed with
 * its key, bound, eviction and measured saving in docs/authorizer.md, "Caches"; what depends on a verified
 * token alone (its context: contextOf) is kept weakly with the verified-claims cache's entry.
 *
 * Fail closed: every path ends in an allow that the route table justifies, a deny (403) for a verified
 * caller without permission, or the `Unauthorized` error (401). Nothing else is ever thrown, so API Gateway
 * never sees a crash it would turn into a 500, and an unexpected error can never become an allow.
 */
import type { AuthorizerConfig } from '../../common/authorizer-config';
import { DEFAULTS } from '../../common/authorizer-config';
import type { CsrfPolicy, CsrfResult } from '../../common/csrf';
import type { DecisionOutcome } from '../../common/decision-log';
import type { ReasonCode } from '../../common/reason-codes';
import type { RouteMatch } from '../../common/route-model';
import { routeKey } from '../../common/route-model';
import { isCanonicalPath } from '../../common/canonical-path';
import type { RouteDecision, RouteTable } from './authorize';
import { compileRoutes } from './authorize';
import type { AuthorizerContext, AuthorizerResponse } from './build-response';
import { buildContext, buildResponse, unauthorizedError } from './build-response';
import { cookieRequestCsrf } from './cookie-csrf';
import type { DecisionLog, LambdaContextInfo } from './decision-log';
import { createDecisionLog } from './decision-log';
import { AuthorizerError, MODULE_LOAD_ERROR_NAME } from './errors';
import type { TokenExtractor } from './extract-token';
import { createTokenExtractor } from './extract-token';
import type { LoadedConfig } from './load-config';
import type { AuthRequest } from './parse-event';
import { parseEvent } from './parse-event';
import type { SessionSupport } from './session-support';
import type { TokenFacts, TokenVerifier, VerifiedPrincipal, VerifierEvents, VerifyResult } from './types';
import { createTokenVerifier } from './verify-token';
import type { StepUpGate } from './step-up-gate';
import { createStepUpGate } from './step-up-gate';
import type { RevocationStore } from '../revocation/revocation-store';
import type { SecretReader, UsageKeys } from './usage-keys';
import type { CallerKeyRegistrar } from './usage-key-registrar';
import type { BindingCheck, BindingResult } from './token-binding';
import type { RevocationStep } from './optional-modules';
import { lazyRevocationStep, lazyUsageKeys } from './optional-modules';

/** Counts decisions and JWKS failures. Keygate counts with metric filters on the decision log instead. */
export interface MetricsSink {
  decision(outcome: DecisionOutcome, reason: ReasonCode): void;
  jwksFailure(issuer: string): void;
}

/** The default sink does nothing: the decision log line is the metric (see docs/benchmarks.md). */
export const LOG_METRICS: MetricsSink = { decision() {}, jwksFailure() {} };

export type VerifierFactory = (config: AuthorizerConfig, events: VerifierEvents) => TokenVerifier;

export interface HandlerDeps {
  /** The result of loadConfig: a valid config, or the errors that make every request a deny. */
  readonly config: LoadedConfig;
  /** Builds the verifier for a valid config (once). @default createTokenVerifier (aws-jwt-verify, HTTPS JWKS) */
  readonly createVerifier?: VerifierFactory;
  /** @default JSON lines in Powertools Logger's shape on stdout (createDecisionLog) */
  readonly log?: DecisionLog;
  /** Milliseconds, for durations only. @default process.hrtime, in milliseconds */
  readonly clock?: () => number;
  /** @default LOG_METRICS (no-op: metric filters read the decision log) */
  readonly metrics?: MetricsSink;
  /**
   * Browser-session support (createSessionSupport, with its cookie keyring); required when the config has
   * `session`. index.ts loads it from the separate session module only then.
   */
  readonly sessions?: SessionSupport;
  /** Epoch milliseconds, for session expiry. @default Date.now */
  readonly now?: () => number;
  /** The revocation list; required when the config has `revocation` (index.ts: DynamoDB). */
  readonly revocationStore?: RevocationStore;
  /** Reads the usage-tier key secrets (config `usage`). @default the Parameters and Secrets Lambda Extension */
  readonly readSecret?: SecretReader;
  /** Registers per-caller usage keys. @default DynamoDB and API Gateway (usage-key-registrar-aws.ts) */
  readonly usageKeyRegistrar?: CallerKeyRegistrar;
  /**
   * Sender-constrained tokens (token-binding.ts); required when the config has `tokenBinding`. index.ts
   * loads it from the separate binding module only then.
   */
  readonly binding?: BindingCheck;
}

export type AuthorizerHandler = (event: unknown, context?: LambdaContextInfo) => Promise<AuthorizerResponse>;

/** What every request uses, built once per container from a valid configuration. */
export interface Pipeline {
  readonly verifier: TokenVerifier;
  readonly table: RouteTable;
  readonly extract: TokenExtractor;
  readonly responseMode: 'iam' | 'simple';
  /** The result cache is off (TTL 0): IAM answers name the request's ARN alone. */
  readonly exact: boolean;
  readonly sessions?: SessionSupport;
  /** With `tokenSource.cookie`: the same-origin proof a token read from the cookie needs. */
  readonly cookieCsrf?: CsrfPolicy;
  readonly now: () => number;
  /** Routes that demand a step-up (acr, amr, auth_time): step-up-gate.ts. */
  readonly stepUp?: StepUpGate;
  /** Logged-out sessions and subjects (revocation-check.ts), when the config has `revocation`. */
  readonly revocation?: RevocationStep;
  /** With usage tiers: the key REST answers carry as usageIdentifierKey (usage-keys.ts). */
  readonly usage?: UsageKeys;
  /** Sender-constrained tokens (token-binding.ts), when the config has `tokenBinding`. */
  readonly binding?: BindingCheck;
  /**
   * The authorizer context of each verified principal (contextOf), kept weakly: an entry lives as long as
   * the verified-claims cache keeps the token's principal, and adds no bound or eviction of its own.
   */
  readonly contexts: WeakMap<VerifiedPrincipal, AuthorizerContext>;
}

/** What the decision log line of a request carries, filled in as the pipeline goes. */
export interface Trace {
  requestId?: string;
  /** The request's route (routeOf); its key goes to the log. */
  route?: RequestRoute;
  facts?: TokenFacts;
  cached: boolean;
}

export type Outcome =
  | { readonly kind: 'unauthorized'; readonly reason: ReasonCode }
  | {
      readonly kind: 'respond';
      readonly response: AuthorizerResponse;
      readonly allowed: boolean;
      readonly reason: ReasonCode;
      /** A 401 in substance, answered as a REST Deny that carries a sign-in URL: logged as unauthorized. */
      readonly unauthenticated?: boolean;
    };

/** The token to verify: a bearer token (header, cookie, query) or the access token of a browser session. */
export type Credential =
  | {
      readonly ok: true;
      readonly token: string;
      /** Set when the token came from a browser session (a failure may then send the browser to sign in). */
      readonly session?: { readonly accessExpired: boolean };
      /** For a token carried by a cookie: the same-origin verdict, applied by csrfCheck. */
      readonly csrf?: CsrfResult;
    }
  | { readonly ok: false; readonly reason: ReasonCode };

/** A request whose caller is verified: what every check sees. */
export interface VerifiedCall {
  readonly request: AuthRequest;
  /** The route matched once per request (routeOf), or undefined. */
  readonly match: RouteMatch | undefined;
  /** The principal the answer is made for (with step-up routes, carrying its variant: stepUpPrincipal). */
  readonly principal: VerifiedPrincipal;
  /**
   * The principal as verified: one object for every request of a token the verified-claims cache holds,
   * so what depends on the token alone (its context, its usage key's registration) is kept with it.
   */
  readonly verified: VerifiedPrincipal;
  readonly credential: Extract<Credential, { ok: true }>;
}

/** A check's refusal: 401 (no valid identity for this request) or 403 (identity, but not this request). */
export interface Refusal {
  readonly status: 401 | 403;
  readonly reason: ReasonCode;
}

/** A check on a verified caller, run in CHECKS order: undefined to go on, or the refusal that ends it. */
export type Check = (call: VerifiedCall, pipeline: Pipeline) => Refusal | undefined;

/**
 * A token from a cookie (a browser session or `tokenSource.cookie`) rides along with any request the
 * browser makes: a state-changing method needs a same-origin proof (common/csrf.ts), judged per request.
 */
export function csrfCheck(call: VerifiedCall): Refusal | undefined {
  const csrf = call.credential.csrf;
  return csrf && !csrf.ok ? { status: 403, reason: 'csrf_rejected' } : undefined;
}

/** The checks on a verified caller, in order. One entry per check. */
export const CHECKS: readonly Check[] = [csrfCheck];

/**
 * With usage tiers, after CHECKS: a per-caller usage key is in its tier's usage plan before a REST answer
 * names it (usage-keys.ts, in the usage module). An awaited step only an authorizer with `usage` takes.
 * Asked for the principal as verified, with which a registration is remembered.
 */
export async function usageKeyCheck(call: VerifiedCall, p: Pipeline): Promise<Refusal | undefined> {
  return p.usage && call.request.kind === 'rest' ? p.usage.ensure(call.verified, call.request) : undefined;
}

/** The whole request path. Any throw from here is an unexpected (internal) error. */
export async function decide(event: unknown, p: Pipeline | undefined, trace: Trace): Promise<Outcome> {
  const parsed = parseEvent(event);
  trace.requestId = parsed.ok ? parsed.request.requestId : parsed.requestId;
  // Without a valid configuration every request is denied; the event is read only for the log's request id.
  if (p === undefined) return { kind: 'unauthorized', reason: 'config_invalid' };
  if (!parsed.ok) return { kind: 'unauthorized', reason: parsed.reason };
  const request = parsed.request;
  // The usage-tier keys, read once per container; unreadable: 401, read again on the next request.
  if (
    p.usage &&
    !(await p.usage.load().then(
      () => true,
      () => false,
    ))
  )
    return { kind: 'unauthorized', reason: 'usage_key_unavailable' };
  const route = routeOf(request, p, trace);
  // Refused before any token is read, as a 401, which API Gateway does not cache (common/canonical-path.ts).
  if (!isCanonicalPath(request.path)) return { kind: 'unauthorized', reason: 'path_not_canonical' };
  const credential = findBearer(request, p) ?? (await openSession(request, p));
  if (!credential.ok) return unauthenticated(p, request, trace, credential.reason, false);
  const token = credential.token;
  const checked = verifyCredentialNow(token, p, trace) ?? (await verifyCredential(token, p, trace));
  const verified =
    p.binding || p.revocation
      ? await confirmCredential(checked, event, request, route.match, token, p)
      : refuseBoundToken(checked);
  if (!verified.ok) {
    // A bearer token that fails is a plain 401; a session's may send the browser to sign in again.
    if (credential.session)
      return unauthenticated(p, request, trace, verified.reason, verified.reason === 'token_expired');
    // A refused binding may answer with its challenge (token-binding.ts), logged as unauthorized.
    const challenge = p.binding?.challenge?.(request, verified.reason);
    return challenge
      ? {
          kind: 'respond',
          response: challenge,
          allowed: false,
          reason: verified.reason,
          unauthenticated: true,
        }
      : { kind: 'unauthorized', reason: verified.reason };
  }
  const principal = verified.principal;
  const call = new Call(request, route, stepUpPrincipal(principal, p), principal, credential);
  for (const check of CHECKS) {
    const refusal = check(call, p);
    if (refusal) return refuse(call, p, trace, refusal);
  }
  if (p.usage) {
    const refusal = await usageKeyCheck(call, p);
    if (refusal) return refuse(call, p, trace, refusal);
  }
  return respond(call, decideStepUp(call, decideCall(call, route, p), p), p);
}

/**
 * The route decision for a verified caller, from the profile's answers (authorize.ts), which name the
 * route: a known profile's request is decided without matching its route at all.
 */
export function decideCall(call: VerifiedCall, route: RequestRoute, p: Pipeline): RouteDecision {
  const decision = p.table.decide(call.principal, call.request.method, call.request.path, route);
  route.decided(decision);
  return decision;
}

/** A verified call; its route is matched only if a check or step reads `match`. */
class Call implements VerifiedCall {
  constructor(
    readonly request: AuthRequest,
    private readonly route: RequestRoute,
    readonly principal: VerifiedPrincipal,
    readonly verified: VerifiedPrincipal,
    readonly credential: Extract<Credential, { ok: true }>,
  ) {}
  get match(): RouteMatch | undefined {
    return this.route.match;
  }
}

/**
 * With step-up routes, the principal the answer is made for at this instant (step-up-gate.ts): it carries
 * the step-up requirements its sign-in meets through the result cache's TTL as its `variant`, so every
 * per-profile answer is also per step-up result.
 */
export function stepUpPrincipal(principal: VerifiedPrincipal, p: Pipeline): VerifiedPrincipal {
  return p.stepUp ? p.stepUp.principalFor(principal, Math.floor(p.now() / 1000)) : principal;
}

/** A route refusal that only a stronger or fresher sign-in would lift gets its step-up reason. */
export function decideStepUp(call: VerifiedCall, decision: RouteDecision, p: Pipeline): RouteDecision {
  if (!p.stepUp || !call.match || decision.allowed) return decision;
  return p.stepUp.refine(decision, call.match, call.principal);
}

/** The route of the request (RequestRoute), for the steps and the log. */
export function routeOf(request: AuthRequest, p: Pipeline, trace: Trace): RequestRoute {
  return (trace.route = new RequestRoute(request, p.table));
}

/**
 * The route of a request, matched at most once, when a step or the log first needs it. A route decision
 * names its route (`RouteDecision.route`), so a request decided from its profile's answers is never matched.
 */
export class RequestRoute {
  private matched = false;
  private value: RouteMatch | undefined;
  private decidedKey: string | undefined;
  constructor(
    private readonly request: AuthRequest,
    private readonly table: RouteTable,
  ) {}

  /** The route API Gateway selected for the request, or undefined. */
  get match(): RouteMatch | undefined {
    if (!this.matched) {
      this.value = this.table.match(this.request.method, this.request.path);
      this.matched = true;
    }
    return this.value;
  }

  /** Takes the route's key from the table's decision, which names the route whenever one matched. */
  decided(decision: RouteDecision): void {
    this.decidedKey = decision.route ?? this.unmatchedKey();
  }

  /** The log's route: the matched route's key, or the request's own `METHOD /path`. */
  get key(): string {
    if (!this.matched && this.decidedKey !== undefined) return this.decidedKey;
    const match = this.match;
    return match ? routeKey(match.route) : this.unmatchedKey();
  }

  private unmatchedKey(): string {
    return `${this.request.method} ${this.request.path.slice(0, 256)}`;
  }
}

/**
 * The one token of the request (extract-token.ts), or undefined when none was presented and a browser
 * session may supply it (openSession). Sessions are looked at only when no bearer token was presented, so
 * a bearer request is never judged by its cookies nor subject to the CSRF check.
 */
export function findBearer(request: AuthRequest, p: Pipeline): Credential | undefined {
  const token = p.extract(request);
  if (token.ok) {
    const csrf =
      token.source === 'cookie' && p.cookieCsrf ? cookieRequestCsrf(request, p.cookieCsrf) : undefined;
    return { ok: true, token: token.token, csrf };
  }
  return p.sessions && token.reason === 'token_missing' ? undefined : token;
}

/** The access token of the request's browser session (session-support.ts), when sessions are configured. */
export async function openSession(request: AuthRequest, p: Pipeline): Promise<Credential> {
  if (!p.sessions) return { ok: false, reason: 'token_missing' };
  const session = await p.sessions.open(request, Math.floor(p.now() / 1000));
  if (session.kind === 'refused') return { ok: false, reason: session.reason };
  if (session.kind === 'absent') return { ok: false, reason: 'token_missing' };
  return {
    ok: true,
    token: session.accessToken,
    session: { accessExpired: session.accessExpired },
    csrf: session.csrf,
  };
}

/** verify-token.ts: signature, claims, principal. The token's facts go to the log, never the token. */
export async function verifyCredential(token: string, p: Pipeline, trace: Trace): Promise<VerifyResult> {
  return traced(await p.verifier.verify(token), trace);
}

/**
 * The same without waiting, while the verifier can answer at once (a cached signing key or a verified-claims
 * cache hit: the warm path); undefined when it must wait (a JWKS fetch), and verifyCredential follows.
 */
export function verifyCredentialNow(token: string, p: Pipeline, trace: Trace): VerifyResult | undefined {
  const verified = p.verifier.verifySync?.(token);
  return verified && traced(verified, trace);
}

function traced(verified: VerifyResult, trace: Trace): VerifyResult {
  trace.facts = verified.facts;
  if (verified.ok) trace.cached = verified.cached;
  return verified;
}

/**
 * Without `tokenBinding`, a sender-constrained token (`cnf`) is refused, since its binding cannot be
 * proven here (RFC 9449 section 7.2, RFC 8705 section 3); any other token passes. Synchronous: the one
 * binding step an authorizer without token binding takes.
 */
export function refuseBoundToken(verified: VerifyResult): VerifyResult {
  return verified.ok && verified.principal.cnf !== undefined
    ? { ok: false, reason: 'binding_unsupported', facts: verified.facts }
    : verified;
}

/**
 * The awaited steps of the configured features on a verified token: its binding (token-binding.ts, else
 * the refusal of bound tokens), then the revocation list.
 */
export async function confirmCredential(
  verified: VerifyResult,
  event: unknown,
  request: AuthRequest,
  match: RouteMatch | undefined,
  token: string,
  p: Pipeline,
): Promise<VerifyResult> {
  const bound = p.binding
    ? await checkBinding(verified, event, request, match, token, p.binding)
    : refuseBoundToken(verified);
  return checkRevocation(bound, p);
}

/**
 * A verified token whose binding (DPoP proof, client certificate; token-binding.ts) is not proven counts
 * as unverified, with the binding's reason.
 */
export async function checkBinding(
  verified: VerifyResult,
  event: unknown,
  request: AuthRequest,
  match: RouteMatch | undefined,
  token: string,
  binding: BindingCheck,
): Promise<VerifyResult> {
  if (!verified.ok) return verified;
  const route = match ? routeKey(match.route) : undefined;
  const bound: BindingResult = await binding.check({
    event,
    request,
    token,
    principal: verified.principal,
    route,
  });
  return bound.ok ? verified : { ok: false, reason: bound.reason, facts: verified.facts };
}

/**
 * A verified token whose session or subject was logged out after it was issued becomes a failed
 * verification with the check's reason (revocation-check.ts), so a browser session is sent to sign in
 * again like an expired one.
 */
export async function checkRevocation(verified: VerifyResult, p: Pipeline): Promise<VerifyResult> {
  return p.revocation && verified.ok ? p.revocation(verified) : verified;
}

/** No grants are computed for an answer that does not list them (exact or simple). */
const NO_GRANTS = { allow: [], deny: [] };

/** The answer for a verified caller on the route decision (build-response.ts). */
export function respond(call: VerifiedCall, decision: RouteDecision, p: Pipeline): Outcome {
  const simple = p.responseMode === 'simple' && call.request.kind === 'http-2.0';
  const listed = !p.exact && !simple;
  const response = buildResponse({
    request: call.request,
    principal: call.principal,
    decision,
    grants: listed ? p.table.grants(call.principal) : NO_GRANTS,
    policy: listed ? p.table.policy(call.principal, call.request.arnPrefix) : undefined,
    context: contextOf(call.verified, p),
    responseMode: p.responseMode,
    exact: p.exact,
    // The tier depends on the token alone, so a cached answer replayed on another route stays right.
    usageKey: p.usage && call.request.kind === 'rest' ? p.usage.keyFor(call.principal) : undefined,
  });
  // The RFC 9470 challenge a REST ACCESS_DENIED gateway response sends as WWW-Authenticate.
  const answer = p.stepUp ? p.stepUp.annotate(response, call.principal, call.match, !listed) : response;
  return {
    kind: 'respond',
    response: withStepUpSignIn(answer, call, decision, p),
    allowed: decision.allowed,
    reason: decision.reason,
  };
}

/**
 * The context an answer carries (build-response.ts buildContext): it depends on the token alone, so it is
 * built once per verified principal, and a repeated token's answers share it.
 */
export function contextOf(principal: VerifiedPrincipal, p: Pipeline): AuthorizerContext {
  let context = p.contexts.get(principal);
  if (context === undefined) {
    context = buildContext(principal, p.table.lists(principal));
    p.contexts.set(principal, context);
  }
  return context;
}

/**
 * A browser navigation refused for step-up on a browser route gets the sign-in URL asking the issuer
 * for the route's level and age (`signIn` in the context, as the REST ACCESS_DENIED page follows it).
 */
function withStepUpSignIn(
  response: AuthorizerResponse,
  call: VerifiedCall,
  decision: RouteDecision,
  p: Pipeline,
): AuthorizerResponse {
  if (decision.allowed || !p.stepUp || !p.sessions || !call.match) return response;
  const login = p.stepUp.loginFor(call.match, call.principal);
  const url = login && p.sessions.stepUpSignIn(call.request, routeKey(call.match.route), login);
  return url ? { ...response, context: { ...response.context, signIn: url } } : response;
}

/**
 * A check's refusal. A 403 denies exactly this ARN (empty grants), never reused from or kept in the
 * response cache; a 401 is unauthenticated (a browser may be sent to sign in).
 */
export function refuse(call: VerifiedCall, p: Pipeline, trace: Trace, refusal: Refusal): Outcome {
  if (refusal.status === 401) return unauthenticated(p, call.request, trace, refusal.reason, false);
  const response = buildResponse({
    request: call.request,
    principal: call.principal,
    decision: { allowed: false, reason: 'route_forbidden' },
    grants: NO_GRANTS,
    responseMode: p.responseMode,
  });
  return { kind: 'respond', response, allowed: false, reason: refusal.reason };
}

/**
 * A 401 outcome, or, when the session support has one for this request (a browser navigation that can
 * recover by signing in), a Deny carrying the sign-in URL, logged as unauthorized.
 */
export function unauthenticated(
  p: Pipeline,
  request: AuthRequest,
  trace: Trace,
  reason: ReasonCode,
  accessExpired: boolean,
): Outcome {
  const response = p.sessions?.signIn(request, trace.route?.key, reason, accessExpired);
  if (!response) return { kind: 'unauthorized', reason };
  return { kind: 'respond', response, allowed: false, reason, unauthenticated: true };
}

export function createHandler(deps: HandlerDeps): AuthorizerHandler {
  const log = deps.log ?? createDecisionLog();
  // process.hrtime rather than performance.now: the global `performance` is a lazy getter that loads
  // node:perf_hooks (about a millisecond of cold start) and is looked up again on every call.
  const clock = deps.clock ?? (() => Number(process.hrtime.bigint()) / 1e6);
  const metrics = deps.metrics ?? LOG_METRICS;
  const pipeline = preparePipeline(deps, log, metrics);
  return (event, context) => handle(event, context, pipeline, { log, metrics, clock });
}

/** Once per container, at cold start: the pipeline, or undefined (every request then denied with config_invalid). */
export function preparePipeline(
  deps: HandlerDeps,
  log: DecisionLog,
  metrics: MetricsSink,
): Pipeline | undefined {
  if (!deps.config.ok) {
    log.configInvalid(deps.config.errors);
    return undefined;
  }
  const config = deps.config.config;
  try {
    if (config.session && !deps.sessions)
      throw new AuthorizerError('session is configured but no session keyring is');
    if (config.tokenBinding && !deps.binding)
      throw new AuthorizerError('tokenBinding is configured but no binding check is');
    if (config.revocation && !deps.revocationStore)
      throw new AuthorizerError('revocation is configured but no revocation store is');
    const events: VerifierEvents = {
      jwksFetchFailed(issuer, reason) {
        try {
          log.jwksFailure(issuer, reason);
          metrics.jwksFailure(issuer);
        } catch {
          // A failing log or metric must not turn a decision into a 500.
        }
      },
    };
    const source = config.tokenSource;
    const table = compileRoutes(config.routes);
    return {
      verifier: (deps.createVerifier ?? defaultVerifier)(config, events),
      table,
      extract: createTokenExtractor(source),
      responseMode: config.responseMode ?? DEFAULTS.responseMode,
      exact: config.resultCacheTtlSeconds === 0,
      sessions: config.session ? deps.sessions : undefined,
      cookieCsrf:
        source?.cookie !== undefined
          ? { allowedOrigins: source.allowedOrigins ?? [], csrfHeader: config.session?.csrfHeader }
          : undefined,
      now: deps.now ?? Date.now,
      stepUp: createStepUpGate(config, table.derived),
      binding: config.tokenBinding ? deps.binding : undefined,
      contexts: new WeakMap(),
      usage: config.usage
        ? lazyUsageKeys(config.usage, deps.readSecret, { registrar: deps.usageKeyRegistrar })
        : undefined,
      revocation:
        config.revocation && deps.revocationStore
          ? lazyRevocationStep(
              config.revocation,
              config.resultCacheTtlSeconds ?? 0,
              deps.revocationStore,
              deps.now ?? Date.now,
            )
          : undefined,
    };
  } catch (e) {
    log.configInvalid([
      e instanceof AuthorizerError || (e instanceof Error && e.name === MODULE_LOAD_ERROR_NAME)
        ? e.message
        : `the verifier could not be built: ${e instanceof Error ? e.constructor.name : 'error'}`,
    ]);
    return undefined;
  }
}

interface Observers {
  readonly log: DecisionLog;
  readonly metrics: MetricsSink;
  readonly clock: () => number;
}

/** One request: decide, log one line, answer (or throw `Unauthorized`, API Gateway's 401). */
export async function handle(
  event: unknown,
  context: LambdaContextInfo | undefined,
  p: Pipeline | undefined,
  o: Observers,
): Promise<AuthorizerResponse> {
  const start = o.clock();
  try {
    o.log.startInvocation?.(context);
  } catch {
    // The log's context is a nicety; the decision does not depend on it.
  }
  const trace: Trace = { cached: false };
  let outcome: Outcome;
  let errorType: string | undefined;
  try {
    outcome = await decide(event, p, trace);
  } catch (e) {
    // Unexpected: denied (401, which API Gateway does not cache), logged once, without the error's
    // message (library messages may carry claim values).
    errorType = e instanceof Error ? e.constructor.name : typeof e;
    outcome = { kind: 'unauthorized', reason: 'internal_error' };
  }
  const decision: DecisionOutcome =
    outcome.kind === 'unauthorized' || outcome.unauthenticated
      ? 'unauthorized'
      : outcome.allowed
        ? 'allow'
        : 'deny';
  try {
    o.log.decision({
      requestId: trace.requestId,
      route: trace.route?.key,
      facts: trace.facts,
      cached: trace.cached,
      decision,
      reason: outcome.reason,
      durationMs: Math.round((o.clock() - start) * 1000) / 1000,
      errorType,
    });
    if (o.metrics !== LOG_METRICS) o.metrics.decision(decision, outcome.reason);
  } catch {
    // A failing log or metric must not turn a decision into a 500; the decision stands.
  }
  if (outcome.kind === 'unauthorized') throw unauthorizedError();
  return outcome.response;
}

const defaultVerifier: VerifierFactory = (config, events) => createTokenVerifier(config, { events });
