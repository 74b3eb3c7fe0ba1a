/**
 * A model call that failed in a way the caller should hear about, with the HTTP status to answer.
 * The message is ours, never the service's: AWS error messages can carry ARNs and account ids.
 */
/**
 * The model function's runtime errors: one base class, so a caller tells them from library and built-in
 * errors with one `instanceof`; the error that led to one travels as the standard `Error.cause`.
 */
export class ModelsError extends Error {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ModelCallError extends ModelsError {
  /** The AWS error name, for the audit line (the AWS message is never kept: it can carry ARNs). */
  readonly awsErrorName?: string;
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    options?: { readonly awsErrorName?: string; readonly cause?: unknown },
  ) {
    super(message, { cause: options?.cause });
    this.awsErrorName = options?.awsErrorName;
    // Written out: bundles are minified, and the name is part of what the function logs.
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
    return new ModelCallError(429, 'model_throttled', 'the model is busy; retry later', {
      awsErrorName: name,
      cause: err,
    });
  if (NOT_READY.has(name))
    return new ModelCallError(503, 'model_unavailable', 'the model is not available right now', {
      awsErrorName: name,
      cause: err,
    });
  if (TIMEOUT.has(name))
    return new ModelCallError(504, 'model_timeout', 'the model did not answer in time', {
      awsErrorName: name,
      cause: err,
    });
  if (REJECTED_INPUT.has(name)) {
    return new ModelCallError(422, 'model_rejected_input', `the ${service} model rejected the input`, {
      awsErrorName: name,
      cause: err,
    });
  }
  return new ModelCallError(502, 'model_failed', `the ${service} model call failed`, {
    awsErrorName: name,
    cause: err,
  });
}
