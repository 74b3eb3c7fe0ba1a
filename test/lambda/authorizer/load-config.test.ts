import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AUTHORIZER_CONFIG_ENV, validateSessionBlock } from '../../../common/authorizer-config';
import { loadConfig } from '../../../lambda/authorizer/load-config';
import { config } from './pipeline-fixtures';

const gz = (s: string | Buffer) => `gz:${gzipSync(s).toString('base64')}`;

describe('loadConfig', () => {
  it('reads plain JSON', () => {
    expect(loadConfig({ [AUTHORIZER_CONFIG_ENV]: JSON.stringify(config()) }, validateSessionBlock)).toEqual({
      ok: true,
      config: config(),
    });
  });

  it('reads gz: + base64 gzip JSON', () => {
    expect(
      loadConfig({ [AUTHORIZER_CONFIG_ENV]: gz(JSON.stringify(config())) }, validateSessionBlock),
    ).toEqual({
      ok: true,
      config: config(),
    });
  });

  it.each([
    ['unset', undefined, `${AUTHORIZER_CONFIG_ENV} is not set`],
    ['empty', '  ', `${AUTHORIZER_CONFIG_ENV} is not set`],
    ['not JSON', '{version: 1', `${AUTHORIZER_CONFIG_ENV} is not valid JSON`],
    [
      'gz: but not gzip',
      'gz:bm90IGd6aXA=',
      `${AUTHORIZER_CONFIG_ENV} starts with gz: but is not base64 of gzip data`,
    ],
    [
      'a gzip bomb',
      gz(Buffer.alloc(4 * 1024 * 1024, 32)),
      `${AUTHORIZER_CONFIG_ENV} starts with gz: but is not base64 of gzip data`,
    ],
    ['gzip of not JSON', gz('nope'), `${AUTHORIZER_CONFIG_ENV} is not valid JSON`],
    ['a JSON array', '[]', `${AUTHORIZER_CONFIG_ENV}: config must be a JSON object`],
  ])('%s: one clear error', (_n, value, message) => {
    expect(loadConfig({ [AUTHORIZER_CONFIG_ENV]: value }, validateSessionBlock)).toEqual({
      ok: false,
      errors: [message],
    });
  });

  it('names the invalid fields', () => {
    const r = loadConfig(
      { [AUTHORIZER_CONFIG_ENV]: JSON.stringify({ ...config(), issuers: [], clockSkewSeconds: 600 }) },
      validateSessionBlock,
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors).toContain(`${AUTHORIZER_CONFIG_ENV}: issuers must be a non-empty array`);
      expect(r.errors).toContain(
        `${AUTHORIZER_CONFIG_ENV}: clockSkewSeconds must be an integer from 0 to 60`,
      );
    }
  });

  it('runs the session checks it is given, only when the config has a session block', () => {
    const seen: unknown[] = [];
    const check = (session: unknown, routes: unknown, tokenSource: unknown) => {
      seen.push({ session, routes, tokenSource });
      return [
        { path: 'session.cookieName', message: 'session.cookieName must be 1-48 letters, digits, _ or -' },
      ];
    };
    expect(loadConfig({ [AUTHORIZER_CONFIG_ENV]: JSON.stringify(config()) }, check)).toMatchObject({
      ok: true,
    });
    expect(seen).toEqual([]);
    const session = { keysSecretId: 'keygate/cookie-keys', cookieName: 'a;b' };
    expect(loadConfig({ [AUTHORIZER_CONFIG_ENV]: JSON.stringify({ ...config(), session }) }, check)).toEqual({
      ok: false,
      errors: [`${AUTHORIZER_CONFIG_ENV}: session.cookieName must be 1-48 letters, digits, _ or -`],
    });
    expect(seen).toEqual([{ session, routes: config().routes, tokenSource: config().tokenSource }]);
    // The real checks give the same message.
    expect(
      loadConfig({ [AUTHORIZER_CONFIG_ENV]: JSON.stringify({ ...config(), session }) }, validateSessionBlock),
    ).toEqual({
      ok: false,
      errors: [`${AUTHORIZER_CONFIG_ENV}: session.cookieName must be 1-48 letters, digits, _ or -`],
    });
  });

  it('reports checks that throw (a deferred module that cannot be loaded) as one configuration error', () => {
    // GIVEN checks that throw as a deferred module's stub does when its file is missing from the asset
    const missing = () => {
      throw new Error('the step-up module (step-up.js) could not be loaded (MODULE_NOT_FOUND)');
    };
    const value = JSON.stringify({ ...config(), session: { keysSecretId: 'keygate/cookie-keys' } });
    // WHEN the configuration is read THEN it is refused with the error, not thrown
    expect(loadConfig({ [AUTHORIZER_CONFIG_ENV]: value }, missing)).toEqual({
      ok: false,
      errors: [
        `${AUTHORIZER_CONFIG_ENV}: the step-up module (step-up.js) could not be loaded (MODULE_NOT_FOUND)`,
      ],
    });
  });
});
