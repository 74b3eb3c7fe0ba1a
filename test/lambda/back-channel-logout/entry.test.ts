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
});
