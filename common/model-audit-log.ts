/**
 * The model backend's audit log contract: one JSON line per invocation attempt (lambda/models/audit.ts)
 * with these fields; ModelBackend puts a CloudWatch metric filter on them. Shared so neither side drifts.
 */

/** `message` of the audit line. */
export const AUDIT_MESSAGE = 'model invocation';

/** Outcomes of an invocation attempt, as the audit line's `outcome` field carries them. */
export const AUDIT_OUTCOMES = [
  'success',
  'unauthenticated',
  'forbidden',
  'model_not_found',
  'invalid_request',
  'model_error',
  /** A streamed answer the caller stopped reading (disconnected): the model call was aborted. */
  'cancelled',
  'internal_error',
] as const;

export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Outcomes that are the backend's or the model's failure rather than the caller's. */
export const AUDIT_ERROR_OUTCOMES: readonly AuditOutcome[] = ['model_error', 'internal_error'];

/** Field names of the audit line the metric filter reads (Powertools Logger puts them at the top level). */
export const AUDIT_FIELDS = { modelId: 'modelId', outcome: 'outcome' } as const;
