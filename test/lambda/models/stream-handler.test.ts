import {
  BedrockRuntimeClient,
  ConverseStreamCommand,
  ThrottlingException,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, test } from 'vitest';
import { parseStreamEvents, STREAM_CONTENT_TYPE, type StreamEvent } from '../../../common/model-stream';
import { validateBackendConfig } from '../../../lambda/models/backend-config';
import { createHandler } from '../../../lambda/models/handler';
import { createModelInvoker } from '../../../lambda/models/model-invoker';
import { createModelStreamer, demoAnswer, type ModelStreamer } from '../../../lambda/models/model-streamer';
import { createStreamHandler } from '../../../lambda/models/stream-handler';
import {
  collectStreamedResponse,
  createResponseStream,
  localStreamingRuntime,
  readStreamedResponse,
} from '../../../local/gateway/lambda-response-stream';
import { ANSWER_EVENTS, FAILING_EVENTS, streamOf } from '../../fixtures/models/converse-stream-events';
import { iamEvent, keycloakEvent, tokenContext } from '../../fixtures/models/events';
import { recordingLogger } from './recording-logger';

const bedrockMock = mockClient(BedrockRuntimeClient);
afterEach(() => bedrockMock.reset());

const CONFIG = validateBackendConfig({
  models: [
    { id: 'sentiment', kind: 'demo', demo: 'sentiment' },
    { id: 'haiku', kind: 'bedrock', bedrockModelId: 'anthropic.claude-3-haiku-20240307-v1:0' },
    { id: 'summarizer', kind: 'sagemaker', sagemakerEndpointName: 'summarizer-endpoint' },
  ],
  machineCallers: [
    {
      principalArn: 'arn:aws:iam::111122223333:role/streamer',
      routes: ['POST /machine/models/{modelId}/stream'],
    },
    {
      principalArn: 'arn:aws:iam::111122223333:role/invoker',
      routes: ['POST /machine/models/{modelId}/invoke'],
    },
  ],
});
const ROLES = 'model:sentiment:invoke model:haiku:invoke model:summarizer:invoke';

function setup(stream?: ModelStreamer) {
  const logger = recordingLogger();
  const handler = createStreamHandler({
    config: CONFIG,
    stream:
      stream ?? createModelStreamer({ bedrock: () => new BedrockRuntimeClient({ region: 'eu-west-1' }) }),
    logger,
    httpResponseStream: localStreamingRuntime.HttpResponseStream,
  });
  return { handler, logger };
}

function streamEvent(modelId: string, input: string, roles = ROLES) {
  return keycloakEvent('rest', {
    method: 'POST',
    route: '/models/{modelId}/stream',
    modelId,
    context: tokenContext({ realmRoles: roles }),
    body: JSON.stringify({ input }),
  });
}

function eventsOf(body: string): StreamEvent[] {
  const { events, rest } = parseStreamEvents(body);
  expect(rest).toBe('');
  return events;
}

describe('streaming model route (POST /models/{modelId}/stream)', () => {
  test('a demo model streams its answer word by word, then one done event with the usage', async () => {
    const { handler, logger } = setup();
    const input = 'The release is great and fast.';
    const res = await collectStreamedResponse((rs) => handler(streamEvent('sentiment', input), rs));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(STREAM_CONTENT_TYPE);
    const events = eventsOf(res.body);
    const answer = demoAnswer(CONFIG.ok ? CONFIG.config.models[0] : (undefined as never), {
      input,
      parameters: {},
    });
    const words = answer.split(' ');
    expect(events).toHaveLength(words.length + 1);
    expect(events.slice(0, -1).map((e) => e.event)).toEqual(words.map(() => 'delta'));
    expect(
      events
        .slice(0, -1)
        .map((e) => (e.data as { text: string }).text)
        .join(''),
    ).toBe(answer);
    expect(events.at(-1)).toEqual({
      event: 'done',
      data: {
        modelId: 'sentiment',
        stopReason: 'end_turn',
        usage: { inputTokens: 6, outputTokens: words.length },
        requestId: expect.any(String),
      },
    });
    expect(logger.audits()).toEqual([expect.objectContaining({ outcome: 'success', modelId: 'sentiment' })]);
  });

  test('Bedrock: ConverseStream deltas become delta events in order; stop reason and usage end the stream', async () => {
    bedrockMock.on(ConverseStreamCommand).resolves({ stream: streamOf(ANSWER_EVENTS) });
    const { handler } = setup();
    const res = await collectStreamedResponse((rs) =>
      handler(streamEvent('haiku', 'What do gateways do?'), rs),
    );
    expect(res.statusCode).toBe(200);
    expect(eventsOf(res.body)).toEqual([
      { event: 'delta', data: { text: 'Gateways' } },
      { event: 'delta', data: { text: ' check' } },
      { event: 'delta', data: { text: ' tokens.' } },
      {
        event: 'done',
        data: {
          modelId: 'haiku',
          stopReason: 'end_turn',
          usage: { inputTokens: 12, outputTokens: 3 },
          requestId: expect.any(String),
        },
      },
    ]);
    const calls = bedrockMock.commandCalls(ConverseStreamCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toMatchObject({
      modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
      messages: [{ role: 'user', content: [{ text: 'What do gateways do?' }] }],
    });
  });

  test('Bedrock refusing at once (throttled) is a plain 429 answer, not a stream', async () => {
    bedrockMock
      .on(ConverseStreamCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    const { handler, logger } = setup();
    const res = await collectStreamedResponse((rs) => handler(streamEvent('haiku', 'hello'), rs));
    expect(res.statusCode).toBe(429);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.body)).toMatchObject({ error: 'model_throttled' });
    expect(logger.audits()).toEqual([
      expect.objectContaining({
        outcome: 'model_error',
        errorCode: 'model_throttled',
        cause: 'ThrottlingException',
      }),
    ]);
  });

  test('an exception event mid-stream ends the stream with one error event after the deltas, never half an event', async () => {
    bedrockMock.on(ConverseStreamCommand).resolves({ stream: streamOf(FAILING_EVENTS) });
    const { handler, logger } = setup();
    const res = await collectStreamedResponse((rs) => handler(streamEvent('haiku', 'hello'), rs));
    expect(res.statusCode).toBe(200);
    expect(res.body.endsWith('\n\n')).toBe(true);
    const events = eventsOf(res.body);
    expect(events).toEqual([
      { event: 'delta', data: { text: 'Half' } },
      { event: 'delta', data: { text: ' an' } },
      {
        event: 'error',
        data: {
          error: 'model_failed',
          message: 'the bedrock model call failed',
          requestId: expect.any(String),
        },
      },
    ]);
    // The service's message (with an ARN) never reaches the caller.
    expect(res.body).not.toContain('arn:aws');
    expect(logger.audits()).toEqual([
      expect.objectContaining({ outcome: 'model_error', cause: 'ModelStreamErrorException' }),
    ]);
  });

  test('a stream that fails while being read (throttled mid-answer) ends with a model_throttled error event', async () => {
    async function* failing(): AsyncGenerator<ConverseStreamOutput> {
      yield { contentBlockDelta: { delta: { text: 'One' }, contentBlockIndex: 0 } };
      throw new ThrottlingException({ message: 'Rate exceeded', $metadata: {} });
    }
    bedrockMock.on(ConverseStreamCommand).resolves({ stream: failing() });
    const { handler } = setup();
    const res = await collectStreamedResponse((rs) => handler(streamEvent('haiku', 'hello'), rs));
    expect(eventsOf(res.body).map((e) => e.event)).toEqual(['delta', 'error']);
    expect(eventsOf(res.body)[1].data).toMatchObject({ error: 'model_throttled' });
  });

  test('a caller that disconnects aborts the Bedrock call through its AbortSignal', async () => {
    let signal: AbortSignal | undefined;
    let released = false;
    async function* endless(): AsyncGenerator<ConverseStreamOutput> {
      try {
        yield { contentBlockDelta: { delta: { text: 'first' }, contentBlockIndex: 0 } };
        // The signal the backend gave send() (aws-sdk-client-mock records send()'s arguments).
        const args = bedrockMock.send.getCall(0).args as unknown[];
        signal = (args[1] as { abortSignal?: AbortSignal } | undefined)?.abortSignal;
        await new Promise<void>((resolve) => {
          if (signal!.aborted) resolve();
          else signal!.addEventListener('abort', () => resolve());
        });
        yield { contentBlockDelta: { delta: { text: 'never sent' }, contentBlockIndex: 0 } };
      } finally {
        released = true;
      }
    }
    bedrockMock.on(ConverseStreamCommand).callsFake(() => ({ stream: endless() }));
    const { handler, logger } = setup();
    const rs = createResponseStream();
    const done = handler(streamEvent('haiku', 'hello'), rs);
    const res = await readStreamedResponse(rs);
    const first = await res.body[Symbol.asyncIterator]().next();
    expect(parseStreamEvents(first.value!.toString()).events).toEqual([
      { event: 'delta', data: { text: 'first' } },
    ]);
    expect(signal!.aborted).toBe(false);
    rs.destroy();
    await done;
    expect(signal!.aborted).toBe(true);
    expect(released).toBe(true);
    expect(logger.audits()).toEqual([expect.objectContaining({ outcome: 'cancelled', modelId: 'haiku' })]);
  });

  test('a demo model stops between words when the caller disconnects', async () => {
    const seen: boolean[] = [];
    const demo = createModelStreamer({ bedrock: () => new BedrockRuntimeClient({ region: 'eu-west-1' }) });
    const watching: ModelStreamer = (model, request, signal) => {
      const inner = demo(model, request, signal);
      return (async function* () {
        for await (const c of inner) {
          seen.push(signal.aborted);
          yield c;
        }
      })();
    };
    const { handler, logger } = setup(watching);
    const rs = createResponseStream();
    const done = handler(streamEvent('sentiment', 'great great great great great'), rs);
    const res = await readStreamedResponse(rs);
    await res.body[Symbol.asyncIterator]().next();
    rs.destroy();
    await done;
    const total = demoAnswer(CONFIG.ok ? CONFIG.config.models[0] : (undefined as never), {
      input: 'great great great great great',
      parameters: {},
    }).split(' ').length;
    expect(seen.length).toBeLessThan(total);
    expect(logger.audits()).toEqual([expect.objectContaining({ outcome: 'cancelled' })]);
  });

  test.each([
    ['a model the caller may not invoke', 'haiku', 'model:sentiment:invoke', 403, 'model_forbidden'],
    ['an unknown model', 'nope', ROLES, 404, 'model_not_found'],
    ['a SageMaker model (answers in one piece)', 'summarizer', ROLES, 400, 'stream_not_supported'],
  ])('%s is a plain JSON error answer', async (_name, modelId, roles, status, code) => {
    const { handler } = setup();
    const res = await collectStreamedResponse((rs) => handler(streamEvent(modelId, 'hi', roles), rs));
    expect(res.statusCode).toBe(status);
    expect(JSON.parse(res.body)).toMatchObject({ error: code });
    expect(bedrockMock.commandCalls(ConverseStreamCommand)).toHaveLength(0);
  });

  test.each([
    ['granted the streaming route', 'streamer', 200],
    ['granted only the invoke route', 'invoker', 403],
  ])('an IAM role %s on POST /machine/models/{modelId}/stream → %i', async (_name, role, status) => {
    const { handler } = setup();
    const event = iamEvent('rest', {
      method: 'POST',
      route: '/machine/models/{modelId}/stream',
      modelId: 'sentiment',
      userArn: `arn:aws:sts::111122223333:assumed-role/${role}/job`,
      body: '{"input":"great"}',
    });
    const res = await collectStreamedResponse((rs) => handler(event, rs));
    expect(res.statusCode).toBe(status);
    if (status === 200) expect(eventsOf(res.body).at(-1)?.event).toBe('done');
    else expect(JSON.parse(res.body)).toMatchObject({ error: 'model_forbidden' });
  });

  test('the streaming function refuses the buffered routes, and the buffered function the streaming route', async () => {
    const { handler } = setup();
    const invoke = keycloakEvent('rest', {
      modelId: 'sentiment',
      context: tokenContext({ realmRoles: ROLES }),
      body: '{"input":"x"}',
    });
    const res = await collectStreamedResponse((rs) => handler(invoke, rs));
    expect(res.statusCode).toBe(404);
    const buffered = createHandler({
      config: CONFIG,
      invoke: createModelInvoker({
        bedrock: () => new BedrockRuntimeClient({ region: 'eu-west-1' }),
        sagemaker: () => new SageMakerRuntimeClient({ region: 'eu-west-1' }),
      }),
      logger: recordingLogger(),
    });
    const r = await buffered(streamEvent('sentiment', 'x'));
    expect(r.statusCode).toBe(500);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'config_invalid' });
  });
});
