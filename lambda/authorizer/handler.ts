/**
 * The request pipeline, as a fixed sequence of small steps:
 * parseEvent -> extractToken -> verifier.verify -> authorize -> buildResponse -> one decision log line.
 * The configuration is loaded once per container by the caller (index.ts) and passed in. With browser
 * sessions configured, a sealed session cookie supplies the token when no bearer token was presented.
 *
 * Fail closed: every path ends in an allow that the route table justifies, a deny (403) for a verified
 * caller without permission, or the `Unauthorized` error (401). Nothing else is ever thrown, so API Gateway
 * never sees a crash it would turn into a 500, and an unexpected error can never become an allow.
 */
import type { AuthorizerConfig } from '../../common/authorizer-config';
import { DEFAULTS } from '../../common/authorizer-config';
import type { DecisionOutcome } from '../../common/decision-log';
import type { ReasonCode } from '../../common/reason-codes';
import type { TokenFacts, TokenVerifier, VerifierEvents, VerifiedPrincipal, VerifyResult } from './types';
import type { LoadedConfig } from './load-config';
import type { DecisionLog, LambdaContextInfo } from './decision-log';
import type { AuthorizerResponse, IamPolicyResponse } from './build-response';
import type { RouteTable } from './authorize';
import { parseEvent } from './parse-event';
import { createTokenExtractor } from './extract-token';
import { authorize, compileRoutes } from './authorize';
import { buildResponse, unauthorizedError } from './build-response';
import { createDecisionLog } from './decision-log';
import { createTokenVerifier } from './verify-token';
import type { AuthRequest } from './parse-event';
import type { SessionStep } from './session-cookie';
import type { SessionSupport } from './session-support';
import type { CsrfPolicy, CsrfResult } from '../../common/csrf';
import { cookieRequestCsrf } from './cookie-csrf';
import type { BindingCheck, BindingResult } from './token-binding';
import { REFUSE_BOUND_TOKENS } from './token-binding';

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
  /** Sender-constrained tokens (token-binding.ts); required when the config has `tokenBinding`. */
  readonly binding?: BindingCheck;
}

export type AuthorizerHandler = (event: unknown, context?: LambdaContextInfo) => Promise<AuthorizerResponse>;

interface Ready {
  readonly config: AuthorizerConfig;
  readonly verifier: TokenVerifier;
  readonly table: RouteTable;
  readonly extract: ReturnType<typeof createTokenExtractor>;
  readonly responseMode: 'iam' | 'simple';
  /** The result cache is off (TTL 0): IAM answers name the request's ARN alone. */
  readonly exact: boolean;
  readonly sessions?: SessionSupport;
  /** With `tokenSource.cookie`: the same-origin proof a token read from the cookie needs. */
  readonly cookieCsrf?: CsrfPolicy;
  /** Off with the verified-claims cache (`verifiedCacheSize: 0`): then every request is verified. */
  readonly memoizeLast: boolean;
  /** Without `tokenBinding`, the check that refuses sender-constrained tokens. */
  readonly binding: BindingCheck;
}

/** The last IAM response, for its principal on one API and stage: a repeated token reuses it as is. */
interface CachedIam {
  readonly principal: VerifiedPrincipal;
  readonly arnPrefix: string;
  readonly response: IamPolicyResponse;
}

export function createHandler(deps: HandlerDeps): AuthorizerHandler {
  const log = deps.log ?? createDecisionLog();
  // process.hrtime rather than performance.now: the global `performance` is a lazy getter that loads
  // node:perf_hooks (about a millisecond of cold start) and is looked up again on every call.
  const clock = deps.clock ?? (() => Number(process.hrtime.bigint()) / 1e6);
  const metrics = deps.metrics ?? LOG_METRICS;
  const now = deps.now ?? Date.now;
  const countDecisions = metrics !== LOG_METRICS;
  const safeLog = (line: Parameters<DecisionLog['decision']>[0]): void => {
    try {
      log.decision(line);
      if (countDecisions) metrics.decision(line.decision, line.reason);
    } catch {
      // A failing log or metric must not turn a decision into a 500; the decision stands.
    }
  };

  let ready: Ready | undefined;
  if (deps.config.ok) {
    try {
      const config = deps.config.config;
      const events: VerifierEvents = {
        jwksFetchFailed(issuer, reason) {
          try {
            log.jwksFailure(issuer, reason);
            metrics.jwksFailure(issuer);
          } catch {
            // as above
          }
        },
      };
      if (config.session && !deps.sessions)
        throw new ConfigError('session is configured but no session keyring is');
      if (config.tokenBinding && !deps.binding)
        throw new ConfigError('tokenBinding is configured but no binding check is');
      ready = {
        config,
        verifier: (deps.createVerifier ?? defaultVerifier)(config, events),
        table: compileRoutes(config.routes),
        extract: createTokenExtractor(config.tokenSource),
        responseMode: config.responseMode ?? DEFAULTS.responseMode,
        exact: config.resultCacheTtlSeconds === 0,
        memoizeLast: (config.verifiedCacheSize ?? DEFAULTS.verifiedCacheSize) > 0,
        sessions: config.session ? deps.sessions : undefined,
        binding: config.tokenBinding && deps.binding ? deps.binding : REFUSE_BOUND_TOKENS,
        cookieCsrf:
          config.tokenSource?.cookie !== undefined
            ? {
                allowedOrigins: config.tokenSource.allowedOrigins ?? [],
                csrfHeader: config.session?.csrfHeader,
              }
            : undefined,
      };
    } catch (e) {
      log.configInvalid([
        e instanceof ConfigError
          ? e.message
          : `the verifier could not be built: ${e instanceof Error ? e.constructor.name : 'error'}`,
      ]);
    }
  } else {
    // Once per container, at cold start: every request is then denied with reason config_invalid.
    log.configInvalid(deps.config.errors);
  }

  // One entry, not a map per principal: a repeated token is the case worth a shortcut, and anything else
  // rebuilds from the per-profile memos (grants, policy document, context lists) in a few lookups.
  let lastIam: CachedIam | undefined;
  let lastVerified: { token: string; expiresAt: number; result: VerifyResult } | undefined;

  /**
   * The pipeline proper. Returns the outcome, synchronously when nothing has to be awaited (a repeated
   * token); any throw from here is an unexpected (internal) error.
   */
  function decide(event: unknown, state: RequestState): Outcome | Promise<Outcome> {
    if (ready === undefined) {
      state.requestId = peekRequestId(event);
      return { kind: 'unauthorized', reason: 'config_invalid' };
    }
    const r = ready;
    const parsed = parseEvent(event);
    if (!parsed.ok) {
      state.requestId = parsed.requestId;
      return { kind: 'unauthorized', reason: parsed.reason };
    }
    const request = parsed.request;
    state.requestId = request.requestId;
    const match = r.table.match(request.method, request.path);
    state.route = match ? r.table.keyOf(match) : `${request.method} ${request.path.slice(0, 256)}`;
    state.binding = { event, route: match ? state.route : undefined };

    const token = r.extract(request);
    // Browser sessions: looked at only when no bearer token was presented, so a bearer request is never
    // judged by its cookies nor subject to the CSRF check.
    if (r.sessions && !token.ok && token.reason === 'token_missing')
      return withSession(r, request, state, r.sessions);
    if (!token.ok) return unauthenticated(r.sessions, request, state, token.reason, false);
    // A token from a cookie rides along with any request the browser makes, as a session does: the
    // same same-origin proof applies (common/csrf.ts), judged per request, never cached.
    const csrf =
      token.source === 'cookie' && r.cookieCsrf ? cookieRequestCsrf(request, r.cookieCsrf) : undefined;
    return verifyThen(r, request, state, token.token, undefined, csrf);
  }

  async function withSession(
    r: Ready,
    request: AuthRequest,
    state: RequestState,
    s: SessionSupport,
  ): Promise<Outcome> {
    const session = await s.open(request, Math.floor(now() / 1000));
    if (session.kind === 'refused') return unauthenticated(s, request, state, session.reason, false);
    if (session.kind === 'absent') return unauthenticated(s, request, state, 'token_missing', false);
    return verifyThen(r, request, state, session.accessToken, session, session.csrf);
  }

  function verifyThen(
    r: Ready,
    request: AuthRequest,
    state: RequestState,
    token: string,
    session: Extract<SessionStep, { kind: 'token' }> | undefined,
    csrf: CsrfResult | undefined,
  ): Outcome | Promise<Outcome> {
    // A client repeating its token (the common case on a warm container) is answered from the last
    // verification of exactly the same string until its exp, without hashing it for the verifier's LRU.
    const last = lastVerified;
    if (last !== undefined && last.token === token && now() / 1000 < last.expiresAt) {
      return bindThen(r, request, state, token, last.result, session, csrf);
    }
    const verifying = r.verifier.verify(token);
    const then = (verified: VerifyResult): Outcome | Promise<Outcome> => {
      if (verified.ok && r.memoizeLast) {
        lastVerified = {
          token,
          expiresAt: verified.principal.expiresAt,
          result: verified.cached ? verified : { ...verified, cached: true },
        };
      }
      return bindThen(r, request, state, token, verified, session, csrf);
    };
    // Synchronous unless a JWKS had to be fetched.
    return verifying instanceof Promise ? verifying.then(then) : then(verifying);
  }

  /** A verified token whose binding (DPoP proof, client certificate) is not proven counts as unverified. */
  function bindThen(
    r: Ready,
    request: AuthRequest,
    state: RequestState,
    token: string,
    verified: VerifyResult,
    session: Extract<SessionStep, { kind: 'token' }> | undefined,
    csrf: CsrfResult | undefined,
  ): Outcome | Promise<Outcome> {
    if (!verified.ok || state.binding === undefined) {
      return afterVerify(r, request, state, verified, session, csrf);
    }
    const principal = verified.principal;
    const checked = r.binding.check({ ...state.binding, request, token, principal });
    const next = (b: BindingResult): Outcome =>
      afterVerify(
        r,
        request,
        state,
        b.ok ? verified : { ok: false, reason: b.reason, facts: verified.facts },
        session,
        csrf,
      );
    return checked instanceof Promise ? checked.then(next) : next(checked);
  }

  function afterVerify(
    r: Ready,
    request: AuthRequest,
    state: RequestState,
    verified: VerifyResult,
    session: Extract<SessionStep, { kind: 'token' }> | undefined,
    csrf: CsrfResult | undefined,
  ): Outcome {
    state.facts = verified.facts;
    if (!verified.ok) {
      return session
        ? unauthenticated(r.sessions, request, state, verified.reason, verified.reason === 'token_expired')
        : { kind: 'unauthorized', reason: verified.reason };
    }
    state.cached = verified.cached;
    if (csrf && !csrf.ok) {
      // A verified caller refused for this request only (a cookie-borne state change without same-origin
      // proof): deny exactly this ARN (empty grants), never reused from or kept in the response cache
      // (API Gateway's result cache is off for cookie sources: KeygateAuthorizer sets its TTL to 0).
      const response = buildResponse({
        request,
        principal: verified.principal,
        decision: { allowed: false, reason: 'route_forbidden' },
        grants: { allow: [], deny: [] },
        responseMode: r.responseMode,
      });
      return { kind: 'respond', response, allowed: false, reason: 'csrf_rejected' };
    }

    const principal = verified.principal;
    const decision = authorize(principal, r.table, request.method, request.path);
    const simple = r.responseMode === 'simple' && request.kind === 'http-2.0';
    // A cached IAM response does not depend on the route (that is what makes it cache-safe), so a
    // principal seen before on this API and stage gets the very same response object back.
    const reusable = !simple && !r.exact && decision.reason !== 'route_unknown';
    const hit = reusable ? lastIam : undefined;
    let response: AuthorizerResponse;
    if (hit !== undefined && hit.principal === principal && hit.arnPrefix === request.arnPrefix) {
      response = hit.response;
    } else {
      const grants = r.exact || simple ? NO_GRANTS : r.table.grants(principal);
      response = buildResponse({
        request,
        principal,
        decision,
        grants,
        responseMode: r.responseMode,
        exact: r.exact,
      });
      if (reusable)
        lastIam = { principal, arnPrefix: request.arnPrefix, response: response as IamPolicyResponse };
    }
    return { kind: 'respond', response, allowed: decision.allowed, reason: decision.reason };
  }

  return async function handler(event: unknown, context?: LambdaContextInfo): Promise<AuthorizerResponse> {
    const start = clock();
    try {
      log.startInvocation?.(context);
    } catch {
      // The log's context is a nicety; the decision does not depend on it.
    }
    const state: RequestState = { cached: false };
    let outcome: Outcome;
    let errorType: string | undefined;
    try {
      const pending = decide(event, state);
      outcome = pending instanceof Promise ? await pending : pending;
    } catch (e) {
      // Unexpected: denied (401, which API Gateway does not cache), logged once, without the error's
      // message (library messages may carry claim values).
      errorType = e instanceof Error ? e.constructor.name : typeof e;
      outcome = { kind: 'unauthorized', reason: 'internal_error' };
    }
    const durationMs = Math.round((clock() - start) * 1000) / 1000;
    const decision: DecisionOutcome =
      outcome.kind === 'unauthorized' || outcome.unauthenticated
        ? 'unauthorized'
        : outcome.allowed
          ? 'allow'
          : 'deny';
    safeLog({
      requestId: state.requestId,
      route: state.route,
      facts: state.facts,
      cached: state.cached,
      decision,
      reason: outcome.reason,
      durationMs,
      errorType,
    });
    if (outcome.kind === 'unauthorized') throw unauthorizedError();
    return outcome.response;
  };
}

interface RequestState {
  /** With token binding: the raw event (its client certificate) and the matched route key. */
  binding?: { readonly event: unknown; readonly route: string | undefined };
  requestId?: string;
  route?: string;
  facts?: TokenFacts;
  cached: boolean;
}

type Outcome =
  | { readonly kind: 'unauthorized'; readonly reason: ReasonCode }
  | {
      readonly kind: 'respond';
      readonly response: AuthorizerResponse;
      readonly allowed: boolean;
      readonly reason: ReasonCode;
      /** A 401 in substance, answered as a REST Deny that carries a sign-in URL: logged as unauthorized. */
      readonly unauthenticated?: boolean;
    };

class ConfigError extends Error {}

/** Grants are not computed for an answer that does not list them (exact or simple). */
const NO_GRANTS = { allow: [], deny: [] };

const defaultVerifier: VerifierFactory = (config, events) => createTokenVerifier(config, { events });

/**
 * A 401 outcome, or, when the session support has one for this request (a browser navigation that can
 * recover by signing in), a Deny carrying the sign-in URL, logged as unauthorized.
 */
function unauthenticated(
  sessions: SessionSupport | undefined,
  request: AuthRequest,
  state: RequestState,
  reason: ReasonCode,
  accessExpired: boolean,
): Outcome {
  const response = sessions?.signIn(request, state.route, reason, accessExpired);
  if (!response) return { kind: 'unauthorized', reason };
  return { kind: 'respond', response, allowed: false, reason, unauthenticated: true };
}

function peekRequestId(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const ctx = (event as { requestContext?: unknown }).requestContext;
  if (typeof ctx !== 'object' || ctx === null) return undefined;
  const id = (ctx as { requestId?: unknown }).requestId;
  return typeof id === 'string' ? id.slice(0, 128) : undefined;
}
