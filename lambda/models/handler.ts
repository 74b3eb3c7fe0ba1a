/**
 * The model backend's request pipeline, AWS-free apart from the event it is handed:
 * toApiRequest(event) -> identityFromEvent(event) -> operation (list / invoke / me) -> ProxyResult.
 * Dependencies (configuration, model invoker, logger, clock) are parameters; index.ts supplies the
 * production ones.
 */
import { toApiRequest } from './api-event';
import { AUDIT_MESSAGE, auditAttributes, type AuditRecord, type BackendLogger } from './audit';
import type { BackendConfig, ConfigResult } from './backend-config';
import { identityFromEvent } from './caller-identity';
import { errorResponse, jsonResponse, type ProxyResult } from './http-response';
import { refusalRecord, resolveInvocation, safeId } from './invocation';
import { invokableModels } from './model-access';
import { ModelCallError } from './model-error';
import type { ModelInvoker } from './model-invoker';
import { NO_USAGE, usageRecord, type UsageSink } from './usage-metrics';
import type { ApiRequest, Caller } from './types';

export interface HandlerDeps {
  readonly config: ConfigResult;
  readonly invoke: ModelInvoker;
  readonly logger: BackendLogger;
  /** Milliseconds, monotonic enough for latency. @default performance.now */
  readonly now?: () => number;
  /** Where each invocation that reached a model is recorded (EMF usage lines). @default - not recorded */
  readonly usage?: UsageSink;
}

export type ModelsHandler = (event: unknown) => Promise<ProxyResult>;

export function createHandler(deps: HandlerDeps): ModelsHandler {
  const now = deps.now ?? (() => performance.now());
  const { logger } = deps;
  if (!deps.config.ok) logger.error('model backend configuration is invalid', { errors: deps.config.errors });

  return async (event: unknown): Promise<ProxyResult> => {
    const started = now();
    const parsed = toApiRequest(event);
    if (!parsed.ok) return errorResponse(parsed.statusCode, parsed.error, parsed.message);
    const request = parsed.request;
    const config = deps.config;
    if (!config.ok) {
      return errorResponse(500, 'config_invalid', 'the model backend is misconfigured', request.requestId);
    }
    try {
      return await route(request, event, config.config, deps, started, now);
    } catch (err) {
      // Fail closed: log once (name only, never the event) and answer 500.
      logger.error('unexpected error', {
        requestId: request.requestId,
        errorName: (err as Error)?.name ?? 'unknown',
      });
      return errorResponse(500, 'internal_error', 'an unexpected error occurred', request.requestId);
    }
  };
}

async function route(
  request: ApiRequest,
  event: unknown,
  config: BackendConfig,
  deps: HandlerDeps,
  started: number,
  now: () => number,
): Promise<ProxyResult> {
  const identity = identityFromEvent(event, request.routeAuth);
  if (!identity.ok) {
    deps.logger.warn('no caller identity', {
      requestId: request.requestId,
      route: request.routeKey,
      reason: identity.reason,
    });
    if (request.operation === 'invokeModel') {
      audit(deps.logger, { ...base(request, started, now), outcome: 'unauthenticated', statusCode: 401 });
    }
    return errorResponse(401, 'unauthenticated', 'the request carries no caller identity', request.requestId);
  }
  const caller = identity.caller;
  switch (request.operation) {
    case 'me':
      return jsonResponse(200, describeCaller(caller));
    case 'listModels': {
      const models = invokableModels(caller, config.models, config.invokeRequirement, config.machineCallers);
      const prefix = request.routeAuth === 'iam' ? '/machine/models' : '/models';
      return jsonResponse(200, {
        models: models.map((m) => ({
          id: m.id,
          kind: m.kind,
          description: m.description ?? '',
          invoke: `POST ${prefix}/${m.id}/invoke`,
        })),
      });
    }
    case 'invokeModel':
      return invoke(request, caller, config, deps, started, now);
    case 'streamModel':
      // The streaming route belongs to the streaming function (stream-handler.ts) behind a STREAM
      // integration; reaching this one means the route was integrated without response streaming.
      return errorResponse(
        500,
        'config_invalid',
        'the streaming route is not integrated with response streaming',
        request.requestId,
      );
  }
}

async function invoke(
  request: ApiRequest,
  caller: Caller,
  config: BackendConfig,
  deps: HandlerDeps,
  started: number,
  now: () => number,
): Promise<ProxyResult> {
  const rec = { ...base(request, started, now), caller };
  const resolved = resolveInvocation(request, caller, config);
  if (!resolved.ok) {
    audit(deps.logger, refusalRecord(rec, resolved, safeId(request.modelId), elapsed()));
    return errorResponse(resolved.statusCode, resolved.error, resolved.message, request.requestId);
  }
  const { model } = resolved;
  const body = resolved;
  const withModel = { ...rec, modelId: model.id, modelKind: model.kind };
  const usage = deps.usage ?? NO_USAGE;
  try {
    const result = await deps.invoke(model, body.request);
    const latencyMs = elapsed();
    audit(deps.logger, {
      ...withModel,
      outcome: 'success',
      statusCode: 200,
      latencyMs,
      ...(config.logContent ? { input: body.request.input, output: result.output } : {}),
    });
    usage.record(usageRecord(caller, model, 'success', latencyMs, result.usage));
    return jsonResponse(200, {
      modelId: model.id,
      kind: model.kind,
      output: result.output,
      ...(result.usage ? { usage: result.usage } : {}),
      requestId: request.requestId,
    });
  } catch (err) {
    if (err instanceof ModelCallError) {
      const latencyMs = elapsed();
      audit(deps.logger, {
        ...withModel,
        outcome: 'model_error',
        statusCode: err.statusCode,
        errorCode: err.code,
        cause: err.awsErrorName,
        latencyMs,
      });
      usage.record(usageRecord(caller, model, 'model_error', latencyMs));
      return errorResponse(err.statusCode, err.code, err.message, request.requestId);
    }
    const latencyMs = elapsed();
    audit(deps.logger, {
      ...withModel,
      outcome: 'internal_error',
      statusCode: 500,
      errorCode: 'internal_error',
      latencyMs,
    });
    usage.record(usageRecord(caller, model, 'internal_error', latencyMs));
    throw err;
  }

  function elapsed(): number {
    return Math.round((now() - started) * 100) / 100;
  }
}

export function base(request: ApiRequest, started: number, now: () => number): AuditRecord {
  return {
    requestId: request.requestId,
    route: request.routeKey,
    modelId: safeId(request.modelId),
    outcome: 'internal_error',
    statusCode: 500,
    latencyMs: Math.round((now() - started) * 100) / 100,
  };
}

export function audit(logger: BackendLogger, record: AuditRecord): void {
  logger.info(AUDIT_MESSAGE, auditAttributes(record));
}

/** GET /me: the identity the authorizer forwarded, as the backend sees it. */
function describeCaller(caller: Caller): Record<string, unknown> {
  if (caller.type === 'iam') {
    return { type: 'iam', principalArn: caller.principalArn, accountId: caller.accountId };
  }
  return {
    type: 'token',
    sub: caller.sub,
    username: caller.username,
    clientId: caller.clientId,
    issuer: caller.issuer,
    tokenKind: caller.tokenKind,
    realmRoles: caller.realmRoles,
    clientRoles: caller.clientRoles,
    scopes: caller.scopes,
    groups: caller.groups,
  };
}
