import { gzipSync } from 'node:zlib';
import { register } from 'tsx/cjs/api';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
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
  const savedPort = process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT;
  // index.ts loads the session module with a runtime `require('./session.js')`, which vitest hands to
  // Node.js unchanged (its transform sees only imports). From the sources, tsx's require hook resolves it
  // to ./session.ts, as `tsx` does for the local gateway; the built bundle has session.js beside index.js
  // (test/scripts/build-lambdas.test.ts runs that one).
  let unregister: (() => void) | undefined;
  beforeAll(() => {
    unregister = register();
  });
  afterAll(() => unregister?.());
  afterEach(() => {
    if (saved === undefined) delete process.env[AUTHORIZER_CONFIG_ENV];
    else process.env[AUTHORIZER_CONFIG_ENV] = saved;
    if (savedPort === undefined) delete process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT;
    else process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = savedPort;
  });

  it.each([
    ['without', {}, 'token_missing'],
    // The keyring is read through the secrets extension, here on a closed port: the session path's reason.
    ['with', { session: { keysSecretId: 'arn:aws:secretsmanager:kg' } }, 'session_keys_unavailable'],
  ])('%s a session configuration, answers a cookie-only request accordingly', async (_n, o, reason) => {
    process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = '1';
    const event = apigwEvent('rest', {
      authorization: null,
      cookies: ['__Host-keygate_session=v1.k1.aaaa.bbbb'],
    });
    const lines = await captureLogs(async () => {
      const handler = await coldStart(JSON.stringify(config(o)));
      expect(await denied(handler(event))).toBe('Unauthorized');
    });
    expect(lines).toEqual([expect.objectContaining({ message: DECISION_MESSAGE, reason })]);
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
