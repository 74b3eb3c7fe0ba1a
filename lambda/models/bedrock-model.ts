/**
 * Runs a Bedrock foundation model through the Converse API
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html), which needs only
 * `bedrock:InvokeModel` on the model's ARN.
 */
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { toModelCallError } from './model-error';
import type { InvokeRequest, ModelOutput } from './types';

export const DEFAULT_MAX_TOKENS = 512;

export async function invokeBedrock(
  client: BedrockRuntimeClient,
  foundationModelId: string,
  request: InvokeRequest,
): Promise<ModelOutput> {
  const { maxTokens, temperature, topP } = request.parameters;
  // Loaded on first use: evaluating the SDK client costs most of the bundle's load time, which a
  // deployment of demo models alone should not pay at cold start.
  const { ConverseCommand } = await import('@aws-sdk/client-bedrock-runtime');
  let res;
  try {
    res = await client.send(
      new ConverseCommand({
        modelId: foundationModelId,
        messages: [{ role: 'user', content: [{ text: request.input }] }],
        inferenceConfig: { maxTokens: maxTokens ?? DEFAULT_MAX_TOKENS, temperature, topP },
      }),
    );
  } catch (err) {
    throw toModelCallError(err, 'bedrock');
  }
  const text = (res.output?.message?.content ?? [])
    .map((block) => (typeof block.text === 'string' ? block.text : ''))
    .join('');
  return {
    output: { text, stopReason: res.stopReason ?? 'unknown' },
    usage: { inputTokens: res.usage?.inputTokens, outputTokens: res.usage?.outputTokens },
  };
}
