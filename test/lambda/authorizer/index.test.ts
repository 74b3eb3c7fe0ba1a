import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AUTHORIZER_CONFIG_ENV } from '../../../common/authorizer-config';
import { DECISION_MESSAGE } from '../../../common/decision-log';
import { apigwEvent } from '../../fixtures/apigw/events';
import { config } from './pipeline-fixtures';
import { captureLogs } from './stdout-capture';

/** Loads the Lambda entry point as a cold start with this environment value. */
async function coldStart(value: string | undefined) {
  vi.resetModules();
  if (value === undefined) delete process.env[AUTHORIZER_CONFIG_ENV];
  else process.env[AUTHORIZER_CONFIG_ENV] = value;
  const mod = await import('../../../lambda/authorizer/index.js');
  return mod.handler;
}

async function denied(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'returned';
  } catch (e) {
    return (e as Error).message;
  }
}

describe('lambda/authorizer/index (the Lambda glue)', () => {
  const saved = process.env[AUTHORIZER_CONFIG_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[AUTHORIZER_CONFIG_ENV];
    else process.env[AUTHORIZER_CONFIG_ENV] = saved;
  });

  it.each([
    ['plain JSON', JSON.stringify(config())],
    ['gz: + base64 gzip', `gz:${gzipSync(JSON.stringify(config())).toString('base64')}`],
  ])('reads %s config once at cold start and runs the pipeline', async (_n, value) => {
    const lines = await captureLogs(async () => {
      const handler = await coldStart(value);
      expect(await denied(handler(apigwEvent('rest', { authorization: null })))).toBe('Unauthorized');
    });
    expect(lines).toEqual([
      expect.objectContaining({
        message: DECISION_MESSAGE,
        reason: 'token_missing',
        decision: 'unauthorized',
      }),
    ]);
  });

  it('without a config: one error at cold start, then every request denied as config_invalid', async () => {
    const lines = await captureLogs(async () => {
      const handler = await coldStart(undefined);
      for (let i = 0; i < 3; i++) {
        expect(await denied(handler(apigwEvent('http-2.0', { authorization: 'Bearer a.b.c' })))).toBe(
          'Unauthorized',
        );
      }
    });
    expect(lines.filter((l) => l.level === 'ERROR')).toEqual([
      expect.objectContaining({ reason: 'config_invalid', errors: [`${AUTHORIZER_CONFIG_ENV} is not set`] }),
    ]);
    expect(lines.filter((l) => l.reason === 'config_invalid' && l.message === DECISION_MESSAGE)).toHaveLength(
      3,
    );
  });
});
