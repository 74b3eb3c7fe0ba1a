import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { request } from '../../local/http/request';
import { serveStage } from '../../local/serve-stage';
import type { ServedStage } from '../../local/serve-stage';

// Hostile requests without valid credentials: whatever the path, method and Authorization header, the
// integration is never reached (no 2xx) and the gateway never fails (no 5xx).
describe('local gateway under hostile requests', () => {
  let served: ServedStage;
  let url: string;
  let reached = 0;
  beforeAll(async () => {
    served = await serveStage({
      stage: DEFAULT_APP_CONFIG.stages.dev,
      buildLambdas: false,
      apiKinds: ['http'],
      cacheTtlSeconds: 300,
      // Every route answered in process: a request that got through would be counted here.
      replaceIntegrations: {
        all: {
          invoke: async () => {
            reached++;
            return { statusCode: 200, headers: {}, body: 'reached', isBase64Encoded: false };
          },
        },
      },
    });
    url = served.api('http').url;
  });
  afterAll(async () => {
    await served?.close();
  });

  const segment = fc.constantFrom(
    'models',
    'machine',
    'me',
    'invoke',
    'sentiment',
    'keywords',
    '..',
    '.',
    '%2e%2e',
    '%2F',
    '*',
    '%2A',
    '{modelId}',
    '%00',
    '%zz',
    'x'.repeat(300),
    'models%2Fsentiment',
    '',
  );
  const path = fc.array(segment, { minLength: 0, maxLength: 5 }).map((s) => `/${s.join('/')}`);
  const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS');
  const b64 = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_'.split('')), maxLength: 40 });
  const authorization = fc.oneof(
    fc.constant(undefined),
    fc.constant(''),
    fc.constant('Bearer'),
    b64.map((s) => `Bearer ${s}`),
    fc.tuple(b64, b64, b64).map(([a, b, c]) => `Bearer ${a}.${b}.${c}`),
    fc.constant('Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'),
    fc.constant('Basic YTpi'),
    b64.map(
      (s) =>
        `AWS4-HMAC-SHA256 Credential=${s}/20260101/eu-west-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
    ),
  );

  it('never reaches the integration and never answers 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(method, path, authorization, fc.boolean(), async (m, p, auth, forged) => {
        const headers: Record<string, string> = {};
        if (auth !== undefined) headers.authorization = auth;
        if (forged) Object.assign(headers, { 'x-keygate-sub': 'admin', 'x-amz-date': '20260101T000000Z' });
        const res = await request(`${url}${p}`, {
          method: m,
          headers,
          body: m === 'GET' ? undefined : '{}',
        });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
    expect(reached).toBe(0);
  });
});
