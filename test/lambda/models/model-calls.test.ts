/**
 * The model calls' edges: every AWS error name the backend maps to an HTTP status, and the answers of
 * Bedrock and SageMaker that are not the happy path (no text, too large, not UTF-8, JSON that is not).
 * The paid services are answered by aws-sdk-client-mock.
 */
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { invokeBedrock } from '../../../lambda/models/bedrock-model';
import { ModelCallError, toModelCallError } from '../../../lambda/models/model-error';
import { MAX_ENDPOINT_RESPONSE_BYTES, invokeSageMaker } from '../../../lambda/models/sagemaker-model';

const named = (name: string) =>
  Object.assign(new Error(`${name} for arn:aws:x:eu-west-1:111122223333:y`), { name });

describe('toModelCallError', () => {
  it.each([
    ['ThrottlingException', 429, 'model_throttled'],
    ['ServiceQuotaExceededException', 429, 'model_throttled'],
    ['TooManyRequestsException', 429, 'model_throttled'],
    ['ModelNotReadyException', 503, 'model_unavailable'],
    ['ServiceUnavailable', 503, 'model_unavailable'],
    ['ServiceUnavailableException', 503, 'model_unavailable'],
    ['ModelTimeoutException', 504, 'model_timeout'],
    ['TimeoutError', 504, 'model_timeout'],
    ['RequestTimeout', 504, 'model_timeout'],
    ['ValidationException', 422, 'model_rejected_input'],
    ['ValidationError', 422, 'model_rejected_input'],
    ['AccessDeniedException', 502, 'model_failed'],
  ])('%s: %i %s, the AWS name kept, the AWS message not', (name, status, code) => {
    const cause = named(name);
    const e = toModelCallError(cause, 'sagemaker');
    expect(e).toBeInstanceOf(ModelCallError);
    expect([e.statusCode, e.code, e.awsErrorName, e.cause]).toEqual([status, code, name, cause]);
    expect(e.message).not.toContain('111122223333');
  });

  it('names the service in the messages that are about the model', () => {
    expect(toModelCallError(named('ValidationException'), 'bedrock').message).toBe(
      'the bedrock model rejected the input',
    );
    expect(toModelCallError(named('InternalFailure'), 'sagemaker').message).toBe(
      'the sagemaker model call failed',
    );
  });

  it('something without a name is an Error; a ModelCallError passes through unchanged', () => {
    for (const thrown of ['boom', undefined, null, { name: 7 }]) {
      const e = toModelCallError(thrown, 'bedrock');
      expect([e.statusCode, e.code, e.awsErrorName]).toEqual([502, 'model_failed', 'Error']);
    }
    const own = new ModelCallError(422, 'model_rejected_input', 'too long');
    expect(toModelCallError(own, 'bedrock')).toBe(own);
    expect(own.name).toBe('ModelCallError');
  });
});

const bedrock = mockClient(BedrockRuntimeClient);
const sagemaker = mockClient(SageMakerRuntimeClient);
beforeEach(() => {
  bedrock.reset();
  sagemaker.reset();
});
afterAll(() => {
  bedrock.restore();
  sagemaker.restore();
});

const REQUEST = { input: 'hello', parameters: {} };

describe('invokeBedrock answers', () => {
  it('joins the text blocks, skips the others; no stop reason is unknown; the default max tokens', async () => {
    bedrock.on(ConverseCommand).resolves({
      output: {
        message: {
          role: 'assistant',
          content: [
            { text: 'a' },
            { image: { format: 'png', source: { bytes: new Uint8Array() } } },
            { text: 'b' },
          ],
        },
      },
      usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
      metrics: { latencyMs: 1 },
    } as never);
    const out = await invokeBedrock(new BedrockRuntimeClient({ region: 'eu-west-1' }), 'm', REQUEST);
    expect(out).toEqual({
      output: { text: 'ab', stopReason: 'unknown' },
      usage: { inputTokens: 1, outputTokens: 2 },
    });
    expect(bedrock.commandCalls(ConverseCommand)[0].args[0].input.inferenceConfig?.maxTokens).toBe(512);
  });

  it('an answer without a message is empty text, without usage', async () => {
    bedrock.on(ConverseCommand).resolves({ stopReason: 'max_tokens' } as never);
    const out = await invokeBedrock(new BedrockRuntimeClient({ region: 'eu-west-1' }), 'm', REQUEST);
    expect(out).toEqual({
      output: { text: '', stopReason: 'max_tokens' },
      usage: { inputTokens: undefined, outputTokens: undefined },
    });
  });
});

describe('invokeSageMaker answers', () => {
  const call = () => invokeSageMaker(new SageMakerRuntimeClient({ region: 'eu-west-1' }), 'ep', REQUEST);

  it.each([
    ['text that looks like JSON but is not, kept as text', '{not json', 'text/plain', '{not json'],
    ['JSON content type with text', 'plain words', 'application/json', 'plain words'],
    ['JSON without a content type', ' [1,2]', undefined, [1, 2]],
    ['plain text', 'a summary', 'text/plain', 'a summary'],
  ])('%s', async (_name, body, contentType, result) => {
    sagemaker.on(InvokeEndpointCommand).resolves({
      Body: new TextEncoder().encode(body) as never,
      ...(contentType ? { ContentType: contentType } : {}),
      $metadata: {},
    });
    expect(await call()).toEqual({ output: { result, contentType: contentType ?? '' } });
  });

  it('an empty answer is empty text', async () => {
    sagemaker.on(InvokeEndpointCommand).resolves({ $metadata: {} });
    expect(await call()).toEqual({ output: { result: '', contentType: '' } });
  });

  it.each([
    [
      'larger than the bound',
      new Uint8Array(MAX_ENDPOINT_RESPONSE_BYTES + 1),
      'the sagemaker model answer is too large',
    ],
    ['not UTF-8', new Uint8Array([0xc3, 0x28]), 'the sagemaker model answer is not UTF-8 text'],
  ])('an answer %s is a 502 model_failed', async (_name, bytes, message) => {
    sagemaker.on(InvokeEndpointCommand).resolves({ Body: bytes as never, $metadata: {} });
    const e = await call().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ModelCallError);
    expect([(e as ModelCallError).statusCode, (e as ModelCallError).code, (e as Error).message]).toEqual([
      502,
      'model_failed',
      message,
    ]);
  });
});
