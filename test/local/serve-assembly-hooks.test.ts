/**
 * serveAssembly's test hooks, on the dev stage of the repository's app (serveStage): the gateways' clock
 * (`now`) and in-process stand-ins for routes' integrations (`replaceIntegrations`), streaming routes
 * included. Authorization stays the served app's own: its authorizer runs from its bundle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { call, userTokens } from '../../local/callers';
import type { IntegrationStandIn } from '../../local/assembly/integration-stand-ins';
import { localStreamingRuntime } from '../../local/gateway/lambda-response-stream';
import { serveStage } from '../../local/serve-stage';
import type { ServedStage, ServeStageOptions } from '../../local/serve-stage';
import { stageApi } from '../../local/stage-api';

const STAGE = DEFAULT_APP_CONFIG.stages.dev;
const BASE = { stage: STAGE, buildLambdas: false } as const;

/** Serves the stage for one describe block and closes it after. */
function served(options: Omit<ServeStageOptions, 'stage'>): () => ServedStage {
  let s: ServedStage | undefined;
  beforeAll(async () => {
    s = await serveStage({ ...BASE, ...options });
  });
  afterAll(async () => {
    await s?.close();
  });
  return () => s!;
}

/** A stand-in answering `{ by: name }` and keeping the events it was called with. */
function recorder(name: string): IntegrationStandIn & { readonly events: unknown[] } {
  const events: unknown[] = [];
  return {
    events,
    invoke: async (event) => {
      events.push(event);
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ by: name }),
      };
    },
  };
}

describe('serveAssembly: now', () => {
  const skew = 20 * 60_000;
  const app = served({ apiKinds: ['http'], now: () => Date.now() + skew });

  it('decides SigV4 freshness by the gateway clock, not the wall clock', async () => {
    const stack = stageApi(app(), 'http');
    const m = stack.iam.machine;
    // Signed now: 20 minutes behind the gateway clock, beyond the 15 minutes SigV4 allows.
    const stale = await call(stack, 'GET', '/machine/models', { iam: m });
    expect(stale.status).toBe(403);
    expect(stale.json<{ message: string }>().message).toContain('Signature expired');
    const fresh = await call(stack, 'GET', '/machine/models', {
      iam: m,
      signedAt: new Date(Date.now() + skew),
    });
    expect(fresh.status).toBe(200);
  });
});

describe('serveAssembly: replaceIntegrations by route key', () => {
  const me = recorder('me');
  const app = served({
    apiKinds: ['http'],
    cacheTtlSeconds: 0,
    replaceIntegrations: { routes: { 'GET /me': me } },
  });

  it('answers GET /me by its stand-in, with the event the gateway built for the verified caller', async () => {
    const stack = stageApi(app(), 'http');
    const token = (await userTokens(stack, 'alice')).access_token;
    const res = await call(stack, 'GET', '/me', { token });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ by: 'me' });
    expect(me.events).toHaveLength(1);
    const event = me.events[0] as {
      routeKey: string;
      requestContext: { authorizer: { lambda: { username: string } } };
    };
    expect(event.routeKey).toBe('GET /me');
    expect(event.requestContext.authorizer.lambda.username).toBe('alice');
  });

  it("runs the app's own function on the routes no stand-in names", async () => {
    const stack = stageApi(app(), 'http');
    const token = (await userTokens(stack, 'bob')).access_token;
    const res = await call(stack, 'GET', '/models', { token });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ models: [] });
  });

  it('refuses before the stand-in: a caller the authorizer denies never reaches it', async () => {
    const stack = stageApi(app(), 'http');
    const before = me.events.length;
    expect((await call(stack, 'GET', '/me', { token: 'not-a-jwt' })).status).toBe(401);
    expect(me.events).toHaveLength(before);
  });

  it('by function: every route integrating it, a route key taking precedence', async () => {
    const plain = app();
    const backend = plain.stack.apis[0].routes.find(
      (r) => r.method === 'GET' && r.path === '/models',
    )!.functionId!;
    const byFunction = recorder('backend');
    const byRoute = recorder('me');
    const replaced = await serveStage({
      ...BASE,
      apiKinds: ['http'],
      cacheTtlSeconds: 0,
      replaceIntegrations: { routes: { 'GET /me': byRoute }, functions: { [backend]: byFunction } },
    });
    try {
      const stack = stageApi(replaced, 'http');
      const token = (await userTokens(stack, 'alice')).access_token;
      const body = JSON.stringify({ input: 'x' });
      const answers = [];
      for (const [method, path] of [
        ['GET', '/me'],
        ['GET', '/models'],
        ['POST', '/models/sentiment/invoke'],
      ] as const) {
        const res = await call(stack, method, path, { token, ...(method === 'POST' ? { body } : {}) });
        answers.push([res.status, res.json()]);
      }
      expect(answers).toEqual([
        [200, { by: 'me' }],
        [200, { by: 'backend' }],
        [200, { by: 'backend' }],
      ]);
      expect([byRoute.events.length, byFunction.events.length]).toEqual([1, 2]);
    } finally {
      await replaced.close();
    }
  });
});

describe('serveAssembly: replaceIntegrations checks every name', () => {
  it.each([
    [
      'a route key of no route',
      { routes: { 'GET /nowhere': recorder('x') } },
      "replaceIntegrations.routes['GET /nowhere'] names no route the served APIs run locally",
    ],
    [
      'a function no route integrates',
      { functions: { NoSuchFunction: recorder('x') } },
      "replaceIntegrations.functions['NoSuchFunction'] names no function a route of the served APIs integrates",
    ],
  ])('refuses %s', async (_name, replaceIntegrations, message) => {
    await expect(serveStage({ ...BASE, apiKinds: ['http'], replaceIntegrations })).rejects.toThrow(message);
  });
});

describe('serveAssembly: replaceIntegrations on a streaming route (REST)', () => {
  const STREAM = 'POST /models/{modelId}/stream';
  const streamed: unknown[] = [];
  const buffered = recorder('buffered');
  const app = served({
    apiKinds: ['rest'],
    cacheTtlSeconds: 0,
    replaceIntegrations: {
      routes: {
        [STREAM]: {
          invoke: () => Promise.reject(new Error('a streaming route with a stream stand-in is streamed')),
          stream: async (event, responseStream) => {
            streamed.push(event);
            const out = localStreamingRuntime.HttpResponseStream.from(responseStream, {
              statusCode: 200,
              headers: { 'content-type': 'text/plain' },
            });
            out.write('first ');
            out.end('last');
          },
        },
        // The machine stream route, replaced without a stream function: answered buffered.
        'POST /machine/models/{modelId}/stream': buffered,
      },
    },
  });

  it('streams what the stand-in writes, to a caller the authorizer allows', async () => {
    const stack = stageApi(app(), 'rest');
    const token = (await userTokens(stack, 'alice')).access_token;
    const res = await call(stack, 'POST', '/models/sentiment/stream', { token, body: '{"input":"x"}' });
    expect([res.status, res.headers['content-type'], res.body]).toEqual([200, 'text/plain', 'first last']);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(streamed).toHaveLength(1);
    expect((streamed[0] as { resource: string }).resource).toBe('/models/{modelId}/stream');
  });

  it('does not call the stand-in for a caller the authorizer denies', async () => {
    const stack = stageApi(app(), 'rest');
    const before = streamed.length;
    const token = (await userTokens(stack, 'bob')).access_token;
    const res = await call(stack, 'POST', '/models/sentiment/stream', { token, body: '{"input":"x"}' });
    expect(res.status).toBe(403);
    expect(streamed).toHaveLength(before);
  });

  it('answers a streaming route replaced without a stream function with the buffered stand-in', async () => {
    const stack = stageApi(app(), 'rest');
    const res = await call(stack, 'POST', '/machine/models/sentiment/stream', {
      iam: stack.iam.machine,
      body: '{"input":"x"}',
    });
    expect([res.status, res.json()]).toEqual([200, { by: 'buffered' }]);
    expect(buffered.events).toHaveLength(1);
  });
});
