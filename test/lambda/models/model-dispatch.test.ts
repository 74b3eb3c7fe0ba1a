/**
 * The model dispatchers fail closed on a model they do not know: an unknown kind or demo is a 500
 * config_invalid (never a call to some service), a model that cannot stream is a 400 that names the
 * invoke route; and the demo models' streamed sentence says when it found nothing.
 */
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../../common/app-config';
import { ModelCallError } from '../../../lambda/models/model-error';
import { createModelInvoker } from '../../../lambda/models/model-invoker';
import { createModelStreamer, demoAnswer } from '../../../lambda/models/model-streamer';

const noClients = {
  bedrock: () => Promise.reject(new Error('no Bedrock client may be made')),
  sagemaker: () => Promise.reject(new Error('no SageMaker client may be made')),
};
const request = (input: string) => ({ input, parameters: {} });
const model = (m: Record<string, unknown>) => m as unknown as ModelConfig;

async function failure(p: Promise<unknown>): Promise<[number, string, string]> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ModelCallError);
  const m = e as ModelCallError;
  return [m.statusCode, m.code, m.message];
}

describe('model dispatch', () => {
  it.each([
    ['an unknown kind', { id: 'x', kind: 'openai' }, 'the model kind is not supported'],
    ['an unknown demo', { id: 'x', kind: 'demo', demo: 'translate' }, 'the demo model is not supported'],
  ])('invoke, %s: 500 config_invalid, no client made', async (_name, m, message) => {
    const invoke = createModelInvoker(noClients);
    expect(await failure(invoke(model(m), request('hi')))).toEqual([500, 'config_invalid', message]);
  });

  it('stream, a SageMaker model: 400 stream_not_supported before the first chunk, naming the invoke route', async () => {
    const stream = createModelStreamer(noClients);
    const chunks = stream(
      model({ id: 'scorer', kind: 'sagemaker', sagemakerEndpointName: 'ep' }),
      request('hi'),
      new AbortController().signal,
    );
    const first = chunks[Symbol.asyncIterator]().next();
    expect(await failure(first)).toEqual([
      400,
      'stream_not_supported',
      "model 'scorer' answers in one piece; call POST /models/scorer/invoke",
    ]);
  });

  it('stream, an unknown demo: 500 config_invalid', () => {
    expect(() => demoAnswer(model({ id: 'x', kind: 'demo', demo: 'translate' }), request('hi'))).toThrow(
      new ModelCallError(500, 'config_invalid', 'the demo model is not supported'),
    );
  });

  it.each([
    ['sentiment', '', 'The text reads neutral (score 0). No sentiment words found.'],
    ['keywords', 'a an the', 'No keywords found.'],
  ])('the %s demo says when it found nothing', (demo, input, sentence) => {
    expect(demoAnswer(model({ id: demo, kind: 'demo', demo }), request(input))).toBe(sentence);
  });
});
