import { afterEach, describe, expect, test, vi } from 'vitest';
import { parseStreamEvents } from '../../../common/model-stream';
import type { StreamingHandler } from '../../../lambda/models/response-stream';
import {
  collectStreamedResponse,
  localStreamingRuntime,
} from '../../../local/gateway/lambda-response-stream';
import { keycloakEvent, tokenContext } from '../../fixtures/models/events';

describe('model backend glue (lambda/models/index.ts)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  test('reads its configuration from the environment and writes a JSON audit line with Powertools Logger', async () => {
    vi.stubEnv(
      'KEYGATE_MODELS_CONFIG',
      JSON.stringify({ models: [{ id: 'keywords', kind: 'demo', demo: 'keywords' }] }),
    );
    vi.stubEnv('POWERTOOLS_DEV', '');
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const { handler } = await import('../../../lambda/models/index.js');
    const res = await handler(
      keycloakEvent('http', {
        modelId: 'keywords',
        context: tokenContext({ realmRoles: 'model:keywords:invoke' }),
        body: '{"input":"gateway gateway token"}',
      }),
    );
    expect(res.statusCode).toBe(200);
    const lines = written
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const audit = lines.find((l) => l.message === 'model invocation');
    expect(audit).toMatchObject({
      level: 'INFO',
      service: 'keygate-models',
      audit: true,
      callerType: 'token',
      sub: 'a0a0a0a0-1111-4222-8333-444455556666',
      clientId: 'keygate-web',
      modelId: 'keywords',
      outcome: 'success',
    });
    expect(typeof audit?.latencyMs).toBe('number');
    expect(written.join('')).not.toContain('gateway gateway');
  });

  test('exports the streaming handler wrapped by awslambda.streamifyResponse of the runtime', async () => {
    vi.stubEnv(
      'KEYGATE_MODELS_CONFIG',
      JSON.stringify({ models: [{ id: 'keywords', kind: 'demo', demo: 'keywords' }] }),
    );
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const wrapped: unknown[] = [];
    vi.stubGlobal('awslambda', {
      ...localStreamingRuntime,
      streamifyResponse: (h: unknown) => {
        wrapped.push(h);
        return h;
      },
    });
    const { streamHandler } = await import('../../../lambda/models/index.js');
    expect(wrapped).toHaveLength(1);
    const res = await collectStreamedResponse((rs) =>
      (streamHandler as StreamingHandler)(
        keycloakEvent('rest', {
          route: '/models/{modelId}/stream',
          method: 'POST',
          modelId: 'keywords',
          context: tokenContext({ realmRoles: 'model:keywords:invoke' }),
          body: '{"input":"gateway gateway token"}',
        }),
        rs,
      ),
    );
    expect(res.statusCode).toBe(200);
    expect(parseStreamEvents(res.body).events.at(-1)).toMatchObject({
      event: 'done',
      data: { modelId: 'keywords' },
    });
    vi.unstubAllGlobals();
  });

  test('without the Lambda runtime the streaming export fails when called', async () => {
    vi.stubEnv(
      'KEYGATE_MODELS_CONFIG',
      JSON.stringify({ models: [{ id: 'k', kind: 'demo', demo: 'keywords' }] }),
    );
    const { streamHandler } = await import('../../../lambda/models/index.js');
    await expect((streamHandler as () => Promise<void>)()).rejects.toThrow(
      'response streaming needs the Lambda Node.js runtime (awslambda global)',
    );
  });
});
