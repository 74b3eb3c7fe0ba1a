import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
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
  test('Bedrock and SageMaker models: one SDK client each per container, made on first use with two attempts', async () => {
    // GIVEN the entry with a Bedrock and a SageMaker model (the paid calls answered by aws-sdk-client-mock)
    const bedrock = mockClient(BedrockRuntimeClient);
    const sagemaker = mockClient(SageMakerRuntimeClient);
    bedrock.on(ConverseCommand).resolves({
      output: { message: { role: 'assistant', content: [{ text: 'Hi' }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 2, outputTokens: 1, totalTokens: 3 },
      metrics: { latencyMs: 10 },
    });
    sagemaker.on(InvokeEndpointCommand).resolves({
      Body: new TextEncoder().encode('{"label":"ok"}') as never,
      ContentType: 'application/json',
      $metadata: {},
    });
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv(
      'KEYGATE_MODELS_CONFIG',
      JSON.stringify({
        models: [
          { id: 'haiku', kind: 'bedrock', bedrockModelId: 'anthropic.claude-3-haiku-20240307-v1:0' },
          { id: 'scorer', kind: 'sagemaker', sagemakerEndpointName: 'scorer-endpoint' },
        ],
      }),
    );
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const { handler } = await import('../../../lambda/models/index.js');
      const invoke = (modelId: string) =>
        handler(
          keycloakEvent('http', {
            modelId,
            context: tokenContext({ realmRoles: `model:${modelId}:invoke` }),
            body: '{"input":"hello"}',
          }),
        );
      // WHEN each model is invoked twice
      const statuses = [];
      for (const id of ['haiku', 'scorer', 'haiku', 'scorer']) statuses.push((await invoke(id)).statusCode);
      // THEN every call reached its service, each through one client made for the container
      expect(statuses).toEqual([200, 200, 200, 200]);
      const bedrockClients = new Set(bedrock.send.thisValues);
      const sagemakerClients = new Set(sagemaker.send.thisValues);
      expect([bedrock.commandCalls(ConverseCommand).length, bedrockClients.size]).toEqual([2, 1]);
      expect([sagemaker.commandCalls(InvokeEndpointCommand).length, sagemakerClients.size]).toEqual([2, 1]);
      const [b] = [...bedrockClients] as BedrockRuntimeClient[];
      const [s] = [...sagemakerClients] as SageMakerRuntimeClient[];
      expect([await b.config.maxAttempts(), await s.config.maxAttempts()]).toEqual([2, 2]);
    } finally {
      bedrock.restore();
      sagemaker.restore();
    }
  });
});
