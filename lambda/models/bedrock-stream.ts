/**
 * Streams a Bedrock foundation model's answer through ConverseStream
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html), which needs
 * `bedrock:InvokeModelWithResponseStream` on the model's ARN. The response's `stream` yields one member
 * per event: `messageStart`, `contentBlockStart`, `contentBlockDelta` (`delta.text`), `contentBlockStop`,
 * `messageStop` (`stopReason`) and `metadata` (`usage`), or an exception member
 * (`internalServerException`, `modelStreamErrorException`, `validationException`,
 * `throttlingException`, `serviceUnavailableException`) that ends it
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html).
 */
import type { BedrockRuntimeClient, ConverseStreamOutput } from '@aws-sdk/client-bedrock-runtime';
import type { StreamUsage } from '../../common/model-stream';
import { DEFAULT_MAX_TOKENS } from './bedrock-model';
import { toModelCallError } from './model-error';
import type { StreamChunk } from './model-streamer';
import type { InvokeRequest } from './types';

/** Exception members of a ConverseStream event, named as the SDK's error classes are. */
const STREAM_EXCEPTIONS: readonly [keyof ConverseStreamOutput, string][] = [
  ['internalServerException', 'InternalServerException'],
  ['modelStreamErrorException', 'ModelStreamErrorException'],
  ['validationException', 'ValidationException'],
  ['throttlingException', 'ThrottlingException'],
  ['serviceUnavailableException', 'ServiceUnavailableException'],
];

export async function* streamBedrock(
  client: BedrockRuntimeClient,
  foundationModelId: string,
  request: InvokeRequest,
  signal: AbortSignal,
): AsyncGenerator<StreamChunk> {
  const { maxTokens, temperature, topP } = request.parameters;
  const { ConverseStreamCommand } = await import('@aws-sdk/client-bedrock-runtime');
  let stream: AsyncIterable<ConverseStreamOutput> | undefined;
  try {
    // The abort signal closes the HTTP/2 stream to Bedrock when the caller goes away, so the model stops
    // generating (and billing) tokens nobody reads.
    const res = await client.send(
      new ConverseStreamCommand({
        modelId: foundationModelId,
        messages: [{ role: 'user', content: [{ text: request.input }] }],
        inferenceConfig: { maxTokens: maxTokens ?? DEFAULT_MAX_TOKENS, temperature, topP },
      }),
      { abortSignal: signal },
    );
    stream = res.stream;
  } catch (err) {
    throw toModelCallError(err, 'bedrock');
  }
  if (!stream) throw toModelCallError(new Error('no stream'), 'bedrock');
  let stopReason = 'unknown';
  let usage: StreamUsage | undefined;
  try {
    for await (const event of stream) {
      for (const [member, name] of STREAM_EXCEPTIONS) {
        if (event[member] !== undefined) throw Object.assign(new Error(name), { name });
      }
      const text = event.contentBlockDelta?.delta?.text;
      if (typeof text === 'string' && text !== '') yield { type: 'delta', text };
      if (event.messageStop) stopReason = event.messageStop.stopReason ?? 'unknown';
      if (event.metadata?.usage) {
        usage = {
          inputTokens: event.metadata.usage.inputTokens,
          outputTokens: event.metadata.usage.outputTokens,
        };
      }
    }
  } catch (err) {
    throw toModelCallError(err, 'bedrock');
  }
  yield { type: 'stop', stopReason, ...(usage ? { usage } : {}) };
}
