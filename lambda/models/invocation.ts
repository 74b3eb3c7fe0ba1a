/**
 * The checks every model invocation passes before the model runs, buffered or streamed: the model id is
 * configured, the caller may invoke it (defence in depth: the gateway already authorized the route), and
 * the body is a valid request. Pure.
 */
import type { ModelConfig } from '../../common/app-config';
import type { AuditOutcome, AuditRecord } from './audit';
import { MODEL_ID_PATTERN, type BackendConfig } from './backend-config';
import { MACHINE_STREAM_PATH } from '../../common/model-stream';
import { grantedRoutes, mayInvoke, routeKeyCovers } from './model-access';
import { parseInvokeBody } from './request-body';
import type { ApiRequest, Caller, InvokeRequest } from './types';

export type Invocation =
  | { readonly ok: true; readonly model: ModelConfig; readonly request: InvokeRequest }
  | {
      readonly ok: false;
      readonly statusCode: number;
      readonly error: string;
      readonly message: string;
      readonly outcome: AuditOutcome;
      /** Set once the model is known (for the audit line). */
      readonly model?: ModelConfig;
    };

export function resolveInvocation(request: ApiRequest, caller: Caller, config: BackendConfig): Invocation {
  const id = request.modelId;
  const validId = id !== undefined && MODEL_ID_PATTERN.test(id);
  const model = validId ? config.models.find((m) => m.id === id) : undefined;
  if (!model) {
    return {
      ok: false,
      statusCode: 404,
      error: 'model_not_found',
      message: validId ? `model '${id}' is not configured` : 'unknown model',
      outcome: 'model_not_found',
    };
  }
  // An IAM caller on the streaming route needs that route's grant; everyone else the invoke entitlement.
  const allowed =
    caller.type === 'iam' && request.operation === 'streamModel'
      ? grantedRoutes(caller, config.machineCallers).some((key) =>
          routeKeyCovers(key, 'POST', MACHINE_STREAM_PATH.replace('{modelId}', model.id)),
        )
      : mayInvoke(caller, model, config.invokeRequirement, config.machineCallers);
  if (!allowed) {
    return {
      ok: false,
      statusCode: 403,
      error: 'model_forbidden',
      message: `the caller may not invoke model '${model.id}'`,
      outcome: 'forbidden',
      model,
    };
  }
  const body = parseInvokeBody(request.body, request.isBase64Encoded, config.limits);
  if (!body.ok) {
    return {
      ok: false,
      statusCode: body.statusCode,
      error: body.error,
      message: body.message,
      outcome: 'invalid_request',
      model,
    };
  }
  return { ok: true, model, request: body.request };
}

/** A model id as it may appear in a log line. */
export function safeId(id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  return MODEL_ID_PATTERN.test(id) ? id : '(invalid)';
}

/** The audit line of an invocation refused before the model ran (buffered or streamed alike). */
export function refusalRecord(
  rec: AuditRecord,
  refused: Extract<Invocation, { ok: false }>,
  requestedId: string | undefined,
  latencyMs: number,
): AuditRecord {
  return {
    ...rec,
    modelId: refused.model?.id ?? requestedId,
    ...(refused.model ? { modelKind: refused.model.kind } : {}),
    outcome: refused.outcome,
    statusCode: refused.statusCode,
    ...(refused.outcome === 'invalid_request' ? { errorCode: refused.error } : {}),
    latencyMs,
  };
}
