/**
 * A model call that failed in a way the caller should hear about, with the HTTP status to answer.
 * The message is ours, never the service's: AWS error messages can carry ARNs and account ids.
 */
export class ModelCallError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** The AWS error name, for the audit line. */
    readonly cause?: string,
  ) {
    super(message);
    this.name = 'ModelCallError';
  }
}

const THROTTLED = new Set([
  'ThrottlingException',
  'ServiceQuotaExceededException',
  'TooManyRequestsException',
]);
const NOT_READY = new Set(['ModelNotReadyException', 'ServiceUnavailable', 'ServiceUnavailableException']);
const TIMEOUT = new Set(['ModelTimeoutException', 'TimeoutError', 'RequestTimeout']);
const REJECTED_INPUT = new Set(['ValidationException', 'ValidationError']);

/** Maps an AWS SDK error (by its `name`, the SDK's documented error code) to a ModelCallError. */
export function toModelCallError(err: unknown, service: 'bedrock' | 'sagemaker'): ModelCallError {
  if (err instanceof ModelCallError) return err;
  const name =
    typeof (err as { name?: unknown })?.name === 'string' ? (err as { name: string }).name : 'Error';
  if (THROTTLED.has(name))
    return new ModelCallError(429, 'model_throttled', 'the model is busy; retry later', name);
  if (NOT_READY.has(name))
    return new ModelCallError(503, 'model_unavailable', 'the model is not available right now', name);
  if (TIMEOUT.has(name))
    return new ModelCallError(504, 'model_timeout', 'the model did not answer in time', name);
  if (REJECTED_INPUT.has(name)) {
    return new ModelCallError(422, 'model_rejected_input', `the ${service} model rejected the input`, name);
  }
  return new ModelCallError(502, 'model_failed', `the ${service} model call failed`, name);
}
