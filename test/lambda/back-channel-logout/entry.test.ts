/**
 * The function's entry (index.ts) as Lambda loads it: the configuration is read once per container, and a
 * container without a usable one refuses every logout with 400 and one line on stderr.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import { BACKCHANNEL_LOGOUT_CONFIG_ENV } from '../../../common/back-channel-logout';

async function loadEntry(config: string | undefined) {
  vi.resetModules();
  if (config === undefined) delete process.env[BACKCHANNEL_LOGOUT_CONFIG_ENV];
  else process.env[BACKCHANNEL_LOGOUT_CONFIG_ENV] = config;
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const entry = await import('../../../lambda/back-channel-logout/index.js');
  const lines = stderr.mock.calls.map((c) => String(c[0]));
  stderr.mockRestore();
  return { handler: entry.handler, lines };
}

const REFUSED = {
  statusCode: 400,
  headers: { 'Cache-Control': 'no-store' },
  body: '{"error":"invalid_request"}',
};

describe('back-channel logout entry', () => {
  afterEach(() => {
    delete process.env[BACKCHANNEL_LOGOUT_CONFIG_ENV];
  });

  test.each([
    ['no configuration', undefined, ['config must be a JSON object']],
    ['a configuration that is not JSON', '{not json', ['config must be a JSON object']],
    [
      'a valid configuration without its table',
      JSON.stringify({
        issuers: [{ issuer: 'https://sso.example.com/realms/ml', audiences: ['keygate-web'] }],
      }),
      ['tableName is required'],
    ],
    ['a configuration with an unknown field', JSON.stringify({ issuers: [], extra: 1 }), null],
  ])(
    '%s: every logout is refused with 400, and the reason is written once',
    async (_name, config, errors) => {
      const { handler, lines } = await loadEntry(config);
      expect(lines).toHaveLength(1);
      const logged = JSON.parse(lines[0]) as { logout: { configInvalid: string[] } };
      if (errors) expect(logged.logout.configInvalid).toEqual(errors);
      else
        expect(logged.logout.configInvalid).toEqual([
          'issuers must be a non-empty array',
          'extra is not a config field',
        ]);
      expect(await handler({ body: 'logout_token=x' } as never)).toEqual(REFUSED);
      expect(await handler(undefined as never)).toEqual(REFUSED);
    },
  );
  test.each([
    ['an HTTP API 2.0 GET', { requestContext: { http: { method: 'GET' } } }, 'method_not_allowed'],
    [
      'a REST POST without a content type',
      { httpMethod: 'POST', body: 'logout_token=x' },
      'content_type_invalid',
    ],
    [
      'a REST POST of JSON (header name in any case)',
      { httpMethod: 'POST', headers: { 'CONTENT-TYPE': 'application/json' }, body: '{}' },
      'content_type_invalid',
    ],
    [
      'a base64 form without a logout token',
      {
        httpMethod: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from('state=x').toString('base64'),
        isBase64Encoded: true,
      },
      'logout_token_missing',
    ],
    ['no event at all', undefined, 'method_not_allowed'],
  ])('configured: %s is refused with its reason', async (_name, event, reason) => {
    const { handler, lines } = await loadEntry(
      JSON.stringify({
        issuers: [{ issuer: 'https://sso.example.com/realms/ml', audiences: ['keygate-web'] }],
        tableName: 'revoked-sessions',
      }),
    );
    expect(lines).toEqual([]);
    const res = await handler(event as never);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body) as { error: string; error_description: string }).toMatchObject({
      error: 'invalid_request',
    });
    expect((JSON.parse(res.body) as { error_description: string }).error_description.split(':')[0]).toBe(
      reason,
    );
  });
});
