/**
 * The streaming route `POST /models/{modelId}/stream`: the same checks as the buffered invoke route
 * (identity, model, entitlement, body), then the model's answer as server-sent events
 * (common/model-stream.ts) on a Lambda response stream. The status is chosen once the model has produced
 * its first chunk, so a model that refuses at once (throttled, bad input) gets a plain HTTP error answer;
 * a failure after that ends the stream with one `error` event. A caller that disconnects aborts the model
 * call through its AbortSignal.
 */
import type { Writable } from 'node:stream';
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
  const { logger } = deps;
  if (!deps.config.ok) logger.error('model backend configuration is invalid', { errors: deps.config.errors });

  return async (event: unknown, responseStream: Writable): Promise<void> => {
    const started = now();
    const answer = (r: ProxyResult): void => {
      const out = deps.httpResponseStream.from(responseStream, {
        statusCode: r.statusCode,
        headers: r.headers,
      });
      out.end(r.body);
    };
    const parsed = toApiRequest(event);
    if (!parsed.ok) return answer(errorResponse(parsed.statusCode, parsed.error, parsed.message));
    const request = parsed.request;
    const config = deps.config;
    if (!config.ok) {
      return answer(
        errorResponse(500, 'config_invalid', 'the model backend is misconfigured', request.requestId),
      );
    }
    if (request.operation !== 'streamModel') {
      return answer(
        errorResponse(
          404,
          'route_not_found',
          'this function serves the streaming route only',
          request.requestId,
        ),
      );
    }
    const elapsed = () => Math.round((now() - started) * 100) / 100;
    const identity = identityFromEvent(event, request.routeAuth);
    if (!identity.ok) {
      audit(logger, { ...base(request, started, now), outcome: 'unauthenticated', statusCode: 401 });
      return answer(
        errorResponse(401, 'unauthenticated', 'the request carries no caller identity', request.requestId),
      );
    }
    const rec = { ...base(request, started, now), caller: identity.caller };
    const resolved = resolveInvocation(request, identity.caller, config.config);
    if (!resolved.ok) {
      audit(logger, refusalRecord(rec, resolved, safeId(request.modelId), elapsed()));
      return answer(errorResponse(resolved.statusCode, resolved.error, resolved.message, request.requestId));
    }
    const { model } = resolved;
    const withModel: AuditRecord = { ...rec, modelId: model.id, modelKind: model.kind };
    const usage = deps.usage ?? NO_USAGE;
    /** A failed model call: its error, outcome and latency, audited once. */
    const auditFailure = (err: unknown, statusOf: (e: ModelCallError) => number) => {
      const e = asModelError(err, logger, request.requestId);
      const outcome = e.code === 'internal_error' ? 'internal_error' : 'model_error';
      const latencyMs = elapsed();
      audit(logger, {
        ...withModel,
        outcome,
        statusCode: statusOf(e),
        errorCode: e.code,
        ...(e.awsErrorName !== undefined ? { cause: e.awsErrorName } : {}),
        latencyMs,
      });
      return { e, outcome, latencyMs } as const;
    };
    const recordUsage = (outcome: string, latencyMs: number, tokens?: StreamUsage) =>
      usage.record(usageRecord(identity.caller, model, outcome, latencyMs, tokens));

    // The caller going away closes the response stream before we end it: stop the model.
    const abort = new AbortController();
    const onGone = () => {
      if (!responseStream.writableFinished) abort.abort();
    };
    responseStream.on('close', onGone);
    responseStream.on('error', onGone);

    const chunks = deps.stream(model, resolved.request, abort.signal)[Symbol.asyncIterator]();
    let next: IteratorResult<StreamChunk>;
    try {
      next = await chunks.next();
    } catch (err) {
      const { e, outcome, latencyMs } = auditFailure(err, (e0) => e0.statusCode);
      // A model that refuses before answering (stream_not_supported) was never called.
      if (e.code !== 'stream_not_supported') recordUsage(outcome, latencyMs);
      return answer(errorResponse(e.statusCode, e.code, e.message, request.requestId));
    }

    const out = deps.httpResponseStream.from(responseStream, { statusCode: 200, headers: SSE_HEADERS });
    const send = (e: StreamEvent): void => {
      if (!out.destroyed && !out.writableEnded) out.write(formatStreamEvent(e));
    };
    let stopReason = 'unknown';
    let modelUsage: StreamUsage | undefined;
    try {
      while (!next.done && !abort.signal.aborted) {
        const chunk = next.value;
        if (chunk.type === 'delta') send({ event: 'delta', data: { text: chunk.text } });
        else {
          stopReason = chunk.stopReason;
          modelUsage = chunk.usage;
        }
        next = await chunks.next();
      }
    } catch (err) {
      if (!abort.signal.aborted) {
        // The 200 and its headers are already sent: the audit line records what the caller saw.
        const { e, outcome, latencyMs } = auditFailure(err, () => 200);
        recordUsage(outcome, latencyMs, modelUsage);
        send({ event: 'error', data: { error: e.code, message: e.message, requestId: request.requestId } });
        out.end();
        return;
      }
    }
    if (abort.signal.aborted) {
      await chunks.return?.(undefined);
      const latencyMs = elapsed();
      audit(logger, { ...withModel, outcome: 'cancelled', statusCode: 200, latencyMs });
      recordUsage('cancelled', latencyMs, modelUsage);
      if (!out.destroyed) out.end();
      return;
    }
    const latencyMs = elapsed();
    audit(logger, { ...withModel, outcome: 'success', statusCode: 200, latencyMs });
    recordUsage('success', latencyMs, modelUsage);
    send({
      event: 'done',
      data: {
        modelId: model.id,
        stopReason,
        ...(modelUsage ? { usage: modelUsage } : {}),
        requestId: request.requestId,
      },
    });
    out.end();
  };
}

/** A ModelCallError as it is; anything else is logged once (name only) and answered as internal_error. */
function asModelError(err: unknown, logger: BackendLogger, requestId: string): ModelCallError {
  if (err instanceof ModelCallError) return err;
  logger.error('unexpected error', { requestId, errorName: (err as Error)?.name ?? 'unknown' });
  return new ModelCallError(500, 'internal_error', 'an unexpected error occurred');
}
