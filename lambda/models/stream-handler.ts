/**
 * The streaming route `POST /models/{modelId}/stream`: the same checks as the buffered invoke route
 * (identity, model, entitlement, body), then the model's answer as server-sent events
 * (common/model-stream.ts) on a Lambda response stream. The status is chosen once the model has produced
 * its first chunk, so a model that refuses at once (throttled, bad input) gets a plain HTTP error answer;
 * a failure after that ends the stream with one `error` event. A caller that disconnects aborts the model
 * call through its AbortSignal.
 */
import type { Writable } from 'node:stream';
import type { ModelConfig } from '../../common/app-config';
import {
  formatStreamEvent,
  STREAM_CONTENT_TYPE,
  type StreamEvent,
  type StreamUsage,
} from '../../common/model-stream';
import { toApiRequest } from './api-event';
import type { AuditRecord, BackendLogger } from './audit';
import type { ConfigResult } from './backend-config';
import { identityFromEvent } from './caller-identity';
import { audit, base } from './handler';
import { errorResponse, type ProxyResult } from './http-response';
import { refusalRecord, resolveInvocation, safeId } from './invocation';
import { ModelCallError } from './model-error';
import type { ModelStreamer, StreamChunk } from './model-streamer';
import type { LambdaStreamingRuntime, StreamingHandler } from './response-stream';
import type { ApiRequest, Caller, InvokeRequest } from './types';
import { NO_USAGE, usageRecord, type UsageSink } from './usage-metrics';

export interface StreamHandlerDeps {
  readonly config: ConfigResult;
  readonly stream: ModelStreamer;
  readonly logger: BackendLogger;
  /** `awslambda.HttpResponseStream` in Lambda; the local stand-in elsewhere. */
  readonly httpResponseStream: LambdaStreamingRuntime['HttpResponseStream'];
  /** Milliseconds, monotonic enough for latency. @default performance.now */
  readonly now?: () => number;
  /** Where each invocation that reached a model is recorded (EMF usage lines). @default - not recorded */
  readonly usage?: UsageSink;
}

const SSE_HEADERS = {
  'content-type': STREAM_CONTENT_TYPE,
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

export function createStreamHandler(deps: StreamHandlerDeps): StreamingHandler {
  const now = deps.now ?? (() => performance.now());
  if (!deps.config.ok) {
    deps.logger.error('model backend configuration is invalid', { errors: deps.config.errors });
  }
  return async (event: unknown, responseStream: Writable): Promise<void> => {
    const started = now();
    const elapsed = () => Math.round((now() - started) * 100) / 100;
    const admitted = admitStream(deps, event, started, now, elapsed);
    if ('refused' in admitted) return answer(deps, responseStream, admitted.refused);
    await streamModel({ ...admitted, deps, responseStream, elapsed });
  };
}

/** A plain HTTP answer on the response stream (before any event was sent). */
function answer(deps: StreamHandlerDeps, responseStream: Writable, r: ProxyResult): void {
  const out = deps.httpResponseStream.from(responseStream, { statusCode: r.statusCode, headers: r.headers });
  out.end(r.body);
}

/** A request that passed every check: who calls which model with what. */
interface AdmittedStream {
  readonly request: ApiRequest;
  readonly caller: Caller;
  readonly model: ModelConfig;
  readonly invocation: InvokeRequest;
  /** The audit record so far (request, caller, model). */
  readonly withModel: AuditRecord;
}

/**
 * The checks before the model is called, as on the buffered route: the event, the configuration, the
 * route, the caller's identity, the model and the entitlement. A refusal is audited here.
 */
export function admitStream(
  deps: StreamHandlerDeps,
  event: unknown,
  started: number,
  now: () => number,
  elapsed: () => number,
): AdmittedStream | { readonly refused: ProxyResult } {
  const { logger } = deps;
  const parsed = toApiRequest(event);
  if (!parsed.ok) return { refused: errorResponse(parsed.statusCode, parsed.error, parsed.message) };
  const request = parsed.request;
  const config = deps.config;
  if (!config.ok) {
    return {
      refused: errorResponse(500, 'config_invalid', 'the model backend is misconfigured', request.requestId),
    };
  }
  if (request.operation !== 'streamModel') {
    return {
      refused: errorResponse(
        404,
        'route_not_found',
        'this function serves the streaming route only',
        request.requestId,
      ),
    };
  }
  const identity = identityFromEvent(event, request.routeAuth);
  if (!identity.ok) {
    audit(logger, { ...base(request, started, now), outcome: 'unauthenticated', statusCode: 401 });
    return {
      refused: errorResponse(
        401,
        'unauthenticated',
        'the request carries no caller identity',
        request.requestId,
      ),
    };
  }
  const rec = { ...base(request, started, now), caller: identity.caller };
  const resolved = resolveInvocation(request, identity.caller, config.config);
  if (!resolved.ok) {
    audit(logger, refusalRecord(rec, resolved, safeId(request.modelId), elapsed()));
    return {
      refused: errorResponse(resolved.statusCode, resolved.error, resolved.message, request.requestId),
    };
  }
  const { model } = resolved;
  return {
    request,
    caller: identity.caller,
    model,
    invocation: resolved.request,
    withModel: { ...rec, modelId: model.id, modelKind: model.kind },
  };
}

/** One admitted streaming call on its response stream. */
interface StreamCall extends AdmittedStream {
  readonly deps: StreamHandlerDeps;
  readonly responseStream: Writable;
  readonly elapsed: () => number;
}

/** A failed model call: its error, outcome and latency, audited once. */
function auditFailure(call: StreamCall, err: unknown, statusOf: (e: ModelCallError) => number) {
  const { logger } = call.deps;
  const e = asModelError(err, logger, call.request.requestId);
  const outcome = e.code === 'internal_error' ? 'internal_error' : 'model_error';
  const latencyMs = call.elapsed();
  audit(logger, {
    ...call.withModel,
    outcome,
    statusCode: statusOf(e),
    errorCode: e.code,
    ...(e.awsErrorName !== undefined ? { cause: e.awsErrorName } : {}),
    latencyMs,
  });
  return { e, outcome, latencyMs } as const;
}

function recordUsage(call: StreamCall, outcome: string, latencyMs: number, tokens?: StreamUsage): void {
  (call.deps.usage ?? NO_USAGE).record(usageRecord(call.caller, call.model, outcome, latencyMs, tokens));
}

/**
 * Calls the model and streams its answer. The status is chosen once the first chunk is in: a model that
 * refuses at once gets a plain HTTP error; after that, a failure is one `error` event.
 */
async function streamModel(call: StreamCall): Promise<void> {
  const { deps, responseStream, request } = call;
  // The caller going away closes the response stream before we end it: stop the model.
  const abort = new AbortController();
  const onGone = () => {
    if (!responseStream.writableFinished) abort.abort();
  };
  responseStream.on('close', onGone);
  responseStream.on('error', onGone);

  const chunks = deps.stream(call.model, call.invocation, abort.signal)[Symbol.asyncIterator]();
  let first: IteratorResult<StreamChunk>;
  try {
    first = await chunks.next();
  } catch (err) {
    const { e, outcome, latencyMs } = auditFailure(call, err, (e0) => e0.statusCode);
    // A model that refuses before answering (stream_not_supported) was never called.
    if (e.code !== 'stream_not_supported') recordUsage(call, outcome, latencyMs);
    return answer(deps, responseStream, errorResponse(e.statusCode, e.code, e.message, request.requestId));
  }
  const out = deps.httpResponseStream.from(responseStream, { statusCode: 200, headers: SSE_HEADERS });
  const send = (e: StreamEvent): void => {
    if (!out.destroyed && !out.writableEnded) out.write(formatStreamEvent(e));
  };
  const streamed = await relayChunks(call, chunks, first, abort.signal, send);
  if (streamed === 'failed') {
    out.end();
    return;
  }
  if (abort.signal.aborted) {
    await chunks.return?.(undefined);
    const cancelledAfter = call.elapsed();
    audit(deps.logger, {
      ...call.withModel,
      outcome: 'cancelled',
      statusCode: 200,
      latencyMs: cancelledAfter,
    });
    recordUsage(call, 'cancelled', cancelledAfter, streamed.usage);
    if (!out.destroyed) out.end();
    return;
  }
  const latencyMs = call.elapsed();
  audit(deps.logger, { ...call.withModel, outcome: 'success', statusCode: 200, latencyMs });
  recordUsage(call, 'success', latencyMs, streamed.usage);
  send({
    event: 'done',
    data: {
      modelId: call.model.id,
      stopReason: streamed.stopReason,
      ...(streamed.usage ? { usage: streamed.usage } : {}),
      requestId: request.requestId,
    },
  });
  out.end();
}

/**
 * Sends each text chunk as a `delta` event until the model stops or the caller goes away; a failure on
 * the way is audited and sent as one `error` event (`failed`).
 */
async function relayChunks(
  call: StreamCall,
  chunks: AsyncIterator<StreamChunk>,
  first: IteratorResult<StreamChunk>,
  signal: AbortSignal,
  send: (e: StreamEvent) => void,
): Promise<{ readonly stopReason: string; readonly usage: StreamUsage | undefined } | 'failed'> {
  let next = first;
  let stopReason = 'unknown';
  let usage: StreamUsage | undefined;
  try {
    while (!next.done && !signal.aborted) {
      const chunk = next.value;
      if (chunk.type === 'delta') send({ event: 'delta', data: { text: chunk.text } });
      else {
        stopReason = chunk.stopReason;
        usage = chunk.usage;
      }
      next = await chunks.next();
    }
  } catch (err) {
    if (!signal.aborted) {
      // The 200 and its headers are already sent: the audit line records what the caller saw.
      const { e, outcome, latencyMs } = auditFailure(call, err, () => 200);
      recordUsage(call, outcome, latencyMs, usage);
      send({
        event: 'error',
        data: { error: e.code, message: e.message, requestId: call.request.requestId },
      });
      return 'failed';
    }
  }
  return { stopReason, usage };
}

/** A ModelCallError as it is; anything else is logged once (name only) and answered as internal_error. */
function asModelError(err: unknown, logger: BackendLogger, requestId: string): ModelCallError {
  if (err instanceof ModelCallError) return err;
  logger.error('unexpected error', { requestId, errorName: (err as Error)?.name ?? 'unknown' });
  return new ModelCallError(500, 'internal_error', 'an unexpected error occurred');
}
