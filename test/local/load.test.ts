import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { sigV4Headers, userTokens } from '../../local/callers';
import { runLoad } from '../../local/load/run-load';
import { serveStage } from '../../local/serve-stage';
import type { ServedStage } from '../../local/serve-stage';
import { stageApi } from '../../local/stage-api';
import type { StageApi } from '../../local/stage-api';

// A bounded load run on loopback: correctness under concurrency (every response right, no errors, the
// authorizer cached). Throughput and memory figures are printed by `npm run bench:gateway`, not asserted.
describe('local gateway under a bounded load', () => {
  let served: ServedStage;
  let stack: StageApi;
  let invocations = 0;
  beforeAll(async () => {
    served = await serveStage({
      stage: DEFAULT_APP_CONFIG.stages.dev,
      buildLambdas: false,
      apiKinds: ['http'],
      cacheTtlSeconds: 300,
      onAuthorizerInvoked: () => invocations++,
    });
    stack = stageApi(served, 'http');
  });
  afterAll(async () => {
    await served?.close();
  });

  it('answers 400 concurrent token-route requests with 200s from the cached authorizer result', async () => {
    const token = (await userTokens(stack, 'alice')).access_token;
    // One request first: concurrent first requests may each miss the cache, as on API Gateway.
    const warm = await runLoad({
      url: `${stack.gateway.url}/models`,
      headers: { authorization: `Bearer ${token}` },
      amount: 1,
      connections: 1,
    });
    expect(warm.ok2xx).toBe(1);
    const before = invocations;
    const figures = await runLoad({
      url: `${stack.gateway.url}/models/sentiment/invoke`,
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: 'I love this great product' }),
      amount: 400,
      connections: 8,
    });
    expect(figures).toMatchObject({ requests: 400, ok2xx: 400, non2xx: 0, errors: 0 });
    expect(invocations - before).toBe(0);
  });

  it('refuses 200 concurrent requests of a caller without the role, every one 403', async () => {
    const token = (await userTokens(stack, 'bob')).access_token;
    const figures = await runLoad({
      url: `${stack.gateway.url}/models/sentiment/invoke`,
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: 'x' }),
      amount: 200,
      connections: 8,
    });
    expect(figures).toMatchObject({ requests: 200, ok2xx: 0, non2xx: 200, errors: 0 });
  });

  it('checks SigV4 on every one of 200 concurrent IAM-route requests', async () => {
    const url = `${stack.gateway.url}/machine/models`;
    const headers = await sigV4Headers(url, 'GET', stack.iam.machine, stack.region);
    const figures = await runLoad({ url, headers, amount: 200, connections: 8 });
    expect(figures).toMatchObject({ requests: 200, ok2xx: 200, non2xx: 0, errors: 0 });
  });
});
