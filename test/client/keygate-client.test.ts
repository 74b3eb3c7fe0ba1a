import { afterEach, beforeEach, describe, expect, it, test, vi } from 'vitest';
import { KeygateApiError, KeygateClient } from '../../client/keygate-client';
import { regionFromUrl, signRequest } from '../../client/sign-request';
import { startSigningServer, type SigningServer } from './signing-server';

const KEY = {
  accessKeyId: 'AKIDKEYGATETEST00001',
  secretAccessKey: 'keygate/test/secret/key/0000000000000000',
};

describe('KeygateClient against a server that verifies SigV4', () => {
  let server: SigningServer;
  beforeEach(async () => {
    server = await startSigningServer({ [KEY.accessKeyId]: KEY.secretAccessKey }, (req) => {
      if (req.method === 'GET' && req.rawPath === '/prod/machine/models') {
        return {
          status: 200,
          body: {
            models: [
              {
                id: 'sentiment',
                kind: 'demo',
                description: '',
                invoke: 'POST /machine/models/sentiment/invoke',
              },
            ],
          },
        };
      }
      if (req.method === 'POST' && req.rawPath.startsWith('/prod/machine/models/')) {
        const modelId = decodeURIComponent(req.rawPath.split('/')[4]);
        if (modelId !== 'sentiment')
          return {
            status: 403,
            body: {
              error: 'model_forbidden',
              message: `the caller may not invoke model '${modelId}'`,
              requestId: 'r-1',
            },
          };
        return {
          status: 200,
          body: { modelId, kind: 'demo', output: JSON.parse(req.body) as unknown, requestId: 'r-2' },
        };
      }
      return { status: 404, body: { error: 'route_not_found', message: 'no route' } };
    });
  });
  afterEach(async () => {
    await server.close();
    vi.unstubAllEnvs();
  });

  test('lists models with credentials from the default chain (environment variables, session token included)', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', KEY.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', KEY.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', 'session-token-from-env');
    const client = new KeygateClient({ baseUrl: `${server.url}/prod`, region: 'eu-west-1' });
    const models = await client.listModels();
    expect(models.map((m) => m.id)).toEqual(['sentiment']);
    const [req] = server.received;
    expect(req.signatureValid).toBe(true);
    expect(req.headers['x-amz-security-token']).toBe('session-token-from-env');
    expect(req.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDKEYGATETEST00001\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
  });

  test('invokes a model with a signed JSON body', async () => {
    const client = new KeygateClient({
      baseUrl: `${server.url}/prod/`,
      region: 'eu-west-1',
      credentials: KEY,
    });
    const result = await client.invoke('sentiment', 'naïve café ☕', { topK: 3 });
    expect(result.output).toEqual({ input: 'naïve café ☕', parameters: { topK: 3 } });
    expect(server.received[0].signatureValid).toBe(true);
    expect(server.received[0].headers['content-type']).toBe('application/json');
    expect(String(server.received[0].headers.authorization)).toContain(
      'SignedHeaders=content-type;host;x-amz-date,',
    );
  });

  test('a path with spaces and unicode and a query string are signed as sent', async () => {
    const client = new KeygateClient({
      baseUrl: `${server.url}/prod`,
      region: 'eu-west-1',
      credentials: KEY,
    });
    const res = await client.request('GET', '/machine/models/ä b/x?b=2&a=1&a=0&empty=', undefined);
    expect(server.received[0].rawPath).toBe('/prod/machine/models/%C3%A4%20b/x?b=2&a=1&a=0&empty=');
    expect(server.received[0].signatureValid).toBe(true);
    expect(res.status).toBe(404);
  });

  test('an error answer becomes a KeygateApiError with the API error code', async () => {
    const client = new KeygateClient({
      baseUrl: `${server.url}/prod`,
      region: 'eu-west-1',
      credentials: KEY,
    });
    const err = await client.invoke('haiku', 'hi').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeygateApiError);
    expect(err).toMatchObject({
      status: 403,
      code: 'model_forbidden',
      message: "the caller may not invoke model 'haiku'",
      requestId: 'r-1',
    });
  });

  test('wrong credentials are refused by the verifying server', async () => {
    const client = new KeygateClient({
      baseUrl: `${server.url}/prod`,
      region: 'eu-west-1',
      credentials: { ...KEY, secretAccessKey: 'wrong' },
    });
    const err = await client.listModels().catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 403, code: 'http_error' });
    expect(server.received[0].signatureValid).toBe(false);
  });
});

describe('signRequest', () => {
  it.each([
    ['https://abc123.execute-api.eu-west-1.amazonaws.com/prod/models', 'eu-west-1'],
    ['https://abc123.execute-api.us-gov-west-1.amazonaws.com/', 'us-gov-west-1'],
    ['https://abc123.execute-api.cn-north-1.amazonaws.com.cn/', 'cn-north-1'],
    ['https://api.example.com/prod/models', undefined],
  ])('region of %s is %s', (url, region) => {
    expect(regionFromUrl(url)).toBe(region);
  });

  test('signs for the region of an execute-api host without being told', async () => {
    const signed = await signRequest(
      { method: 'get', url: 'https://abc123.execute-api.ap-southeast-2.amazonaws.com/prod/machine/models' },
      { credentials: KEY },
    );
    expect(signed.method).toBe('GET');
    expect(signed.headers.host).toBe('abc123.execute-api.ap-southeast-2.amazonaws.com');
    expect(signed.headers.authorization).toContain('/ap-southeast-2/execute-api/aws4_request');
    expect(signed.headers['x-amz-content-sha256']).toBeUndefined();
  });

  test('refuses to guess a region for a custom domain', async () => {
    vi.stubEnv('AWS_REGION', '');
    vi.stubEnv('AWS_DEFAULT_REGION', '');
    await expect(
      signRequest({ method: 'GET', url: 'https://api.example.com/x' }, { credentials: KEY }),
    ).rejects.toThrow('cannot tell the region of api.example.com: pass a region (or set AWS_REGION)');
    vi.unstubAllEnvs();
  });
});
