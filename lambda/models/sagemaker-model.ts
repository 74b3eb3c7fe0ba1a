/**
 * Runs a SageMaker real-time endpoint (InvokeEndpoint,
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html). The request
 * body follows the Hugging Face inference convention (`inputs` plus `parameters`) that SageMaker's text
 * containers accept; the answer is passed back as JSON when it is JSON, as text otherwise.
 */
import type { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { ModelCallError, toModelCallError } from './model-error';
import type { InvokeRequest, ModelOutput } from './types';

/** Larger answers are refused rather than cut (Lambda's synchronous response limit is 6 MB). */
export const MAX_ENDPOINT_RESPONSE_BYTES = 4 * 1024 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function invokeSageMaker(
  client: SageMakerRuntimeClient,
  endpointName: string,
  request: InvokeRequest,
): Promise<ModelOutput> {
  const { maxTokens, temperature, topP, topK } = request.parameters;
  const parameters = dropUndefined({ max_new_tokens: maxTokens, temperature, top_p: topP, top_k: topK });
  // Loaded on first use, like the client (see bedrock-model.ts).
  const { InvokeEndpointCommand } = await import('@aws-sdk/client-sagemaker-runtime');
  let res;
  try {
    res = await client.send(
      new InvokeEndpointCommand({
        EndpointName: endpointName,
        ContentType: 'application/json',
        Accept: 'application/json',
        Body: new TextEncoder().encode(JSON.stringify({ inputs: request.input, parameters })),
      }),
    );
  } catch (err) {
    throw toModelCallError(err, 'sagemaker');
  }
  const bytes = res.Body ?? new Uint8Array();
  if (bytes.length > MAX_ENDPOINT_RESPONSE_BYTES) {
    throw new ModelCallError(502, 'model_failed', 'the sagemaker model answer is too large');
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ModelCallError(502, 'model_failed', 'the sagemaker model answer is not UTF-8 text');
  }
  const contentType = res.ContentType ?? '';
  let output: unknown = text;
  if (contentType.includes('json') || /^\s*[[{]/.test(text)) {
    try {
      output = JSON.parse(text);
    } catch {
      output = text;
    }
  }
  return { output: { result: output, contentType } };
}

function dropUndefined(o: Record<string, number | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}
