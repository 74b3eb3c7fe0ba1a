import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { main } from '../../client/cli';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { formatStreamEvent, parseStreamEvents, STREAM_CONTENT_TYPE } from '../../common/model-stream';
import { call, userTokens } from '../../local/callers';
import { localStreamingRuntime } from '../../local/gateway/lambda-response-stream';
import { startLocalGateway } from '../../local/gateway/local-gateway';
import type { LocalGateway, StreamingLambdaFunction } from '../../local/gateway/local-gateway';
import { serveStage } from '../../local/serve-stage';
import type { ServedStage } from '../../local/serve-stage';
import { stageApi } from '../../local/stage-api';
import type { StageApi } from '../../local/stage-api';

const ROUTES = [
  { method: 'POST', path: '/models/{modelId}/stream', auth: 'keycloak' },
  { method: 'POST', path: '/models/{modelId}/invoke', auth: 'keycloak' },
] as const;
const STREAM_ROUTE = 'POST /models/{modelId}/stream';

/** An authorizer that allows every request (this suite is about the integration, not the decision). */
async function allowAll(event: unknown) {
  return {
    principalId: 'caller',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'execute-api:Invoke',
          Resource: (event as { methodArn: string }).methodArn,
        },
      ],
    },
    context: {},
  };
}

/** POSTs and hands back the response as soon as its head arrives, with the body still streaming. */
function open(url: string): Promise<{ res: IncomingMessage; abort: () => void }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { authorization: 'Bearer x' } }, (res) =>
      resolve({ res, abort: () => req.destroy() }),
    );
    req.on('error', reject);
    req.end('{"input":"x"}');
  });
}

describe('local gateway: streaming routes (REST API, response transfer mode STREAM)', () => {
  let gateway: LocalGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  async function start(integration: StreamingLambdaFunction) {
    gateway = await startLocalGateway({
      apiType: 'rest',
      routes: ROUTES.map((r) => ({ ...r })),
      authorizer: allowAll,
      integration: () => Promise.reject(new Error('the buffered integration must not run')),
      streaming: { routes: [STREAM_ROUTE], integration },
    });
    return gateway;
  }

  test('the first event reaches the client before the backend writes the last one', async () => {
    // GIVEN a backend that writes one event, then waits until the test lets it write the last one
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const gw = await start(async (_event, responseStream: Writable) => {
      const out = localStreamingRuntime.HttpResponseStream.from(responseStream, {
        statusCode: 200,
        headers: { 'content-type': STREAM_CONTENT_TYPE },
      });
      out.write(formatStreamEvent({ event: 'delta', data: { text: 'first' } }));
      order.push('backend wrote first');
      await gate;
      out.write(
        formatStreamEvent({ event: 'done', data: { modelId: 'm', stopReason: 'end_turn', requestId: 'r' } }),
      );
      order.push('backend wrote last');
      out.end();
    });
    // WHEN the client reads the answer
    const { res } = await open(`${gw.url}/models/m/stream`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(STREAM_CONTENT_TYPE);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    let text = '';
    for await (const chunk of res) {
      text += String(chunk);
      if (order.length === 1) {
        // The backend is still held at the gate: this chunk can only have come through unbuffered.
        order.push('client read first');
        release();
      }
    }
    // THEN
    expect(order).toEqual(['backend wrote first', 'client read first', 'backend wrote last']);
    expect(parseStreamEvents(text).events.map((e) => e.event)).toEqual(['delta', 'done']);
  });

  test('a client that disconnects closes the backend response stream', async () => {
    let closed!: () => void;
    const sawClose = new Promise<void>((resolve) => (closed = resolve));
    const gw = await start(async (_event, responseStream) => {
      responseStream.on('close', () => closed());
      const out = localStreamingRuntime.HttpResponseStream.from(responseStream, {
        statusCode: 200,
        headers: { 'content-type': STREAM_CONTENT_TYPE },
      });
      out.write(formatStreamEvent({ event: 'delta', data: { text: 'first' } }));
      await sawClose;
    });
    const { res, abort } = await open(`${gw.url}/models/m/stream`);
    await new Promise<void>((resolve) => res.once('data', () => resolve()));
    abort();
    await sawClose;
  });

  test('a backend that ends without its metadata prelude is a 502', async () => {
    const gw = await start(async (_event, responseStream) => {
      responseStream.end('{"statusCode":200}');
    });
    const { res } = await open(`${gw.url}/models/m/stream`);
    expect(res.statusCode).toBe(502);
    res.resume();
  });

  test('an HTTP API gateway refuses streaming routes', async () => {
    await expect(
      startLocalGateway({
        apiType: 'http',
        routes: ROUTES.map((r) => ({ ...r })),
        authorizer: allowAll,
        integration: () => Promise.reject(new Error('unused')),
        streaming: { routes: [STREAM_ROUTE], integration: async () => {} },
      }),
    ).rejects.toThrow(
      'startLocalGateway: streaming routes need apiType rest; HTTP APIs cannot stream responses',
    );
  });
});

describe('served app: the demo models stream through the real authorizer and backend', () => {
  let served: ServedStage;
  let rest: StageApi;
  let http: StageApi;
  let token: string;
  beforeAll(async () => {
    served = await serveStage({ stage: DEFAULT_APP_CONFIG.stages.dev, buildLambdas: false });
    rest = stageApi(served, 'rest');
    http = stageApi(served, 'http');
    token = (await userTokens(rest, 'alice')).access_token;
  });
  afterAll(async () => {
    await served?.close();
  });

  test('alice streams the sentiment model word by word on the REST API', async () => {
    const res = await call(rest, 'POST', '/models/sentiment/stream', {
      token,
      body: JSON.stringify({ input: 'What a great and friendly gateway' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(STREAM_CONTENT_TYPE);
    const { events, rest: left } = parseStreamEvents(res.body);
    expect(left).toBe('');
    const deltas = events.filter((e) => e.event === 'delta');
    const text = deltas.map((e) => (e.data as { text: string }).text).join('');
    expect(text.startsWith('The text reads positive')).toBe(true);
    expect(deltas).toHaveLength(text.split(' ').length);
    expect(events.at(-1)).toMatchObject({
      event: 'done',
      data: { modelId: 'sentiment', stopReason: 'end_turn', usage: { inputTokens: 6 } },
    });
  });

  test('bob, without the model role, is refused by the authorizer before any stream starts', async () => {
    const bob = (await userTokens(rest, 'bob')).access_token;
    const res = await call(rest, 'POST', '/models/sentiment/stream', { token: bob, body: '{"input":"x"}' });
    expect(res.status).toBe(403);
  });

  test('keygate-call streams an IAM route with SigV4 and prints the answer', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', rest.iam.machine.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', rest.iam.machine.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    vi.stubEnv('AWS_REGION', rest.region);
    const out: string[] = [];
    const err: string[] = [];
    try {
      const code = await main(
        [
          'POST',
          `${rest.gateway.url}/machine/models/sentiment/stream`,
          '--data',
          '{"input":"What a great day"}',
        ],
        { out: (s) => void out.push(s), err: (s) => void err.push(s) },
      );
      expect(err.join('')).toMatch(/^\[end_turn, tokens in 4 \/ out \d+\]\n$/);
      expect(code).toBe(0);
      expect(out.join('')).toMatch(/^The text reads positive \(score [0-9.]+\)\. Signals: great\.\n$/);
      expect(out.length).toBeGreaterThan(2);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  test('the HTTP API has no streaming route', async () => {
    const httpToken = (await userTokens(http, 'alice')).access_token;
    const res = await call(http, 'POST', '/models/sentiment/stream', {
      token: httpToken,
      body: '{"input":"x"}',
    });
    expect(res.status).toBe(404);
  });
});
