import { afterEach, describe, expect, test, vi } from 'vitest';
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
});
