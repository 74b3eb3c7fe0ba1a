/**
 * The stand-in for Lambda's Node.js response streaming, used wherever the backend's streaming handler
 * runs outside Lambda (the local gateway, the tests): the one place that writes and reads the streamed
 * proxy response format.
 *
 * API Gateway's Lambda proxy integration with response transfer mode STREAM reads the function's output as
 * a JSON metadata object (`statusCode`, `headers`, `multiValueHeaders`, `cookies`), a delimiter of 8 null
 * bytes, then the payload, streamed as the function writes it
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html).
 * In Lambda, `awslambda.HttpResponseStream.from(responseStream, metadata)` writes that prelude
 * (https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html); here `from` does the same.
 */
import { PassThrough } from 'node:stream';
import type { Readable, Writable } from 'node:stream';
import type { LambdaStreamingRuntime, StreamMetadata } from '../../lambda/models/response-stream';

/** Between the metadata JSON and the payload. */
export const PRELUDE_DELIMITER = Buffer.alloc(8, 0);
/** A prelude larger than this is a broken integration, not a slow one. */
const MAX_PRELUDE_BYTES = 64 * 1024;

export const localStreamingRuntime: LambdaStreamingRuntime = {
  streamifyResponse: (handler) => handler,
  HttpResponseStream: {
    from(stream: Writable, metadata: StreamMetadata): Writable {
      stream.write(Buffer.concat([Buffer.from(JSON.stringify(metadata)), PRELUDE_DELIMITER]));
      return stream;
    },
  },
};

/** The response stream a streaming handler writes to; the caller reads what it writes. */
export function createResponseStream(): PassThrough {
  return new PassThrough();
}

export class StreamedResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamedResponseError';
  }
}

export interface StreamedResponse {
  readonly metadata: Record<string, unknown>;
  readonly statusCode: number;
  /** The payload bytes, as they arrive. */
  readonly body: AsyncIterable<Buffer>;
}

/**
 * Reads the prelude off a streamed proxy response and hands back the payload as it arrives. Rejects with
 * StreamedResponseError when the stream ends before the delimiter or the metadata is not a JSON object
 * with a numeric statusCode.
 */
export async function readStreamedResponse(stream: Readable): Promise<StreamedResponse> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let head = Buffer.alloc(0);
  for (;;) {
    const next = await iterator.next();
    if (next.done) throw new StreamedResponseError('the stream ended before the metadata delimiter');
    head = Buffer.concat([head, Buffer.from(next.value)]);
    const at = head.indexOf(PRELUDE_DELIMITER);
    if (at >= 0) {
      const metadata = parseMetadata(head.subarray(0, at));
      const first = head.subarray(at + PRELUDE_DELIMITER.length);
      return {
        metadata,
        statusCode: metadata.statusCode as number,
        body: (async function* () {
          if (first.length > 0) yield first;
          for (;;) {
            const more = await iterator.next();
            if (more.done) return;
            yield Buffer.from(more.value);
          }
        })(),
      };
    }
    if (head.length > MAX_PRELUDE_BYTES) throw new StreamedResponseError('the metadata prelude is too large');
  }
}

function parseMetadata(bytes: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new StreamedResponseError('the metadata prelude is not JSON');
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    typeof (parsed as { statusCode?: unknown }).statusCode !== 'number'
  ) {
    throw new StreamedResponseError('the metadata prelude has no numeric statusCode');
  }
  return parsed as Record<string, unknown>;
}

/** Runs a streaming handler to the end and returns the status, headers and whole payload (tests). */
export async function collectStreamedResponse(
  run: (responseStream: Writable) => Promise<void>,
): Promise<{ statusCode: number; headers: Record<string, string>; body: string }> {
  const stream = createResponseStream();
  const done = run(stream).then(
    () => {
      if (!stream.writableEnded) stream.end();
    },
    (err: unknown) => {
      stream.destroy(err as Error);
    },
  );
  const res = await readStreamedResponse(stream);
  const parts: Buffer[] = [];
  for await (const chunk of res.body) parts.push(chunk);
  await done;
  return {
    statusCode: res.statusCode,
    headers: (res.metadata.headers ?? {}) as Record<string, string>,
    body: Buffer.concat(parts).toString('utf8'),
  };
}
