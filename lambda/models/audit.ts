/**
 * The audit line written for every invocation attempt: who (sub and client, or the IAM principal ARN),
 * which model, the outcome and the latency. Request input and model output only when the deployment
 * opted in (`logContent`).
 */
import type { Caller } from './types';

export const AUDIT_MESSAGE = 'model invocation';

export type AuditOutcome =
  | 'success'
  | 'unauthenticated'
  | 'forbidden'
  | 'model_not_found'
  | 'invalid_request'
  | 'model_error'
  /** A streamed answer the caller stopped reading (disconnected): the model call was aborted. */
  | 'cancelled'
  | 'internal_error';

/** The subset of Powertools Logger the backend uses, so tests can pass a recording sink. */
export interface BackendLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

export interface AuditRecord {
  readonly requestId: string;
  readonly route: string;
  readonly modelId?: string;
  readonly modelKind?: string;
  readonly caller?: Caller;
  readonly outcome: AuditOutcome;
  readonly statusCode: number;
  readonly errorCode?: string;
  /** The AWS error name of a failed model call. */
  readonly cause?: string;
  readonly latencyMs: number;
  readonly input?: string;
  readonly output?: unknown;
}

/** The audit attributes: identity fields by caller kind, never the token, never content unless given. */
export function auditAttributes(record: AuditRecord): Record<string, unknown> {
  const c = record.caller;
  const identity =
    c === undefined
      ? { callerType: 'unknown' }
      : c.type === 'iam'
        ? { callerType: 'iam', principalArn: c.principalArn, accountId: c.accountId }
        : {
            callerType: 'token',
            sub: c.sub,
            clientId: c.clientId,
            username: c.username,
            tokenKind: c.tokenKind,
          };
  const attrs: Record<string, unknown> = {
    audit: true,
    requestId: record.requestId,
    route: record.route,
    modelId: record.modelId,
    modelKind: record.modelKind,
    ...identity,
    outcome: record.outcome,
    statusCode: record.statusCode,
    latencyMs: record.latencyMs,
  };
  if (record.errorCode !== undefined) attrs.errorCode = record.errorCode;
  if (record.cause !== undefined) attrs.cause = record.cause;
  if (record.input !== undefined) attrs.input = record.input;
  if (record.output !== undefined) attrs.output = record.output;
  return attrs;
}
