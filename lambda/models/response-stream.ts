/**
 * The two pieces of Lambda's Node.js response streaming the backend uses, as an interface: the runtime
 * provides them as the `awslambda` global (https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html),
 * the local gateway and the tests pass the stand-in of local/gateway/lambda-response-stream.ts.
 */
import type { Writable } from 'node:stream';

/** The status line and headers written before the body of a streamed proxy response. */
export interface StreamMetadata {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
}

export interface LambdaStreamingRuntime {
  /** Marks a handler as streaming: the runtime then calls it as `(event, responseStream, context)`. */
  streamifyResponse(handler: StreamingHandler): unknown;
  readonly HttpResponseStream: {
    /**
     * Writes the metadata prelude API Gateway expects (JSON, then a delimiter of 8 null bytes) and returns
     * the stream to write the body to
     * (https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html).
     */
    from(stream: Writable, metadata: StreamMetadata): Writable;
  };
}

export type StreamingHandler = (event: unknown, responseStream: Writable) => Promise<void>;

/**
 * The runtime's `awslambda` global, when this code runs in Lambda's Node.js runtime. Libraries create an
 * `awslambda` object of their own elsewhere (@aws/lambda-invoke-store, loaded by Powertools), so the test
 * is for the streaming API itself.
 */
export function lambdaStreamingRuntime(): LambdaStreamingRuntime | undefined {
  const candidate = (globalThis as unknown as { awslambda?: Partial<LambdaStreamingRuntime> }).awslambda;
  return typeof candidate?.streamifyResponse === 'function' &&
    typeof candidate.HttpResponseStream?.from === 'function'
    ? (candidate as LambdaStreamingRuntime)
    : undefined;
}
