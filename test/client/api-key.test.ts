/**
 * The IAM caller's API key: read from Secrets Manager (a loopback server that verifies SigV4 plays
 * GetSecretValue) or the environment, and sent as X-API-Key beside the signature by the client and
 * keygate-call.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { ApiKeySecretError, readApiKeySecret, resolveApiKey } from '../../client/api-key';
import { main } from '../../client/cli';
import { KeygateClient } from '../../client/keygate-client';
import { startSigningServer, type ReceivedRequest, type SigningServer } from './signing-server';

const KEY = {
  accessKeyId: 'AKIDKEYGATETEST00002',
  secretAccessKey: 'keygate/test/secret/key/1111111111111111',
};
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:keygate-role-key-AbCdEf';
const MISSING_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:gone-AbCdEf';
const API_KEY = 'Zx8kQ2mN4pR6tV8wY0aB2cD4eF6gH8jK0lM2nP4q';

const isSecretsCall = (r: ReceivedRequest) => r.headers['x-amz-target'] === 'secretsmanager.GetSecretValue';

describe('the API key of an IAM caller', () => {
  let server: SigningServer;
  beforeEach(async () => {
    // GIVEN one loopback server that answers GetSecretValue (by X-Amz-Target) and the API's routes
    server = await startSigningServer({ [KEY.accessKeyId]: KEY.secretAccessKey }, (req) => {
      if (isSecretsCall(req)) {
        const { SecretId } = JSON.parse(req.body) as { SecretId: string };
        return SecretId === SECRET_ARN
          ? { status: 200, body: { ARN: SecretId, Name: 'keygate-role-key', SecretString: API_KEY } }
          : {
              status: 400,
              body: {
                __type: 'ResourceNotFoundException',
                Message: "Secrets Manager can't find the secret.",
              },
            };
      }
      return req.headers['x-api-key'] === API_KEY
        ? { status: 200, body: { models: [] } }
        : { status: 403, body: { message: 'Forbidden' } };
    });
  });
  afterEach(async () => {
    await server.close();
    vi.unstubAllEnvs();
  });

  test('readApiKeySecret calls GetSecretValue, signed for secretsmanager in the region of the ARN', async () => {
    const value = await readApiKeySecret(SECRET_ARN, { credentials: KEY, endpoint: server.url });
    expect(value).toBe(API_KEY);
    expect(server.received).toHaveLength(1);
    const [req] = server.received;
    expect(req.signatureValid).toBe(true);
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(JSON.parse(req.body)).toEqual({ SecretId: SECRET_ARN });
    expect(String(req.headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDKEYGATETEST00002\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, /,
    );
  });

  test("a secret the service cannot return: the service's error name, never a value", async () => {
    const err = await readApiKeySecret(MISSING_ARN, { credentials: KEY, endpoint: server.url }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiKeySecretError);
    expect(err).toMatchObject({
      code: 'ResourceNotFoundException',
      status: 400,
      message: `cannot read the API key secret ${MISSING_ARN}: ResourceNotFoundException (HTTP 400)`,
    });
  });

  test.each([
    ['not an ARN', 'keygate-role-key', 'not a Secrets Manager secret ARN'],
    [
      'an ARN of another service',
      'arn:aws:ssm:eu-west-1:111122223333:parameter/x',
      'not a Secrets Manager secret ARN',
    ],
  ])('refuses %s without a call', async (_, arn, code) => {
    await expect(readApiKeySecret(arn, { credentials: KEY, endpoint: server.url })).rejects.toMatchObject({
      code,
    });
    expect(server.received).toHaveLength(0);
  });

  test('resolveApiKey: an explicit key, then KEYGATE_API_KEY, then the secret ARN, then KEYGATE_API_KEY_SECRET_ARN', async () => {
    const read = { credentials: KEY, endpoint: server.url };
    const other = 'A'.repeat(40);
    expect(await resolveApiKey({ apiKey: other }, read, { KEYGATE_API_KEY: API_KEY })).toBe(other);
    expect(await resolveApiKey({ apiKeySecretArn: MISSING_ARN }, read, { KEYGATE_API_KEY: other })).toBe(
      other,
    );
    expect(await resolveApiKey({ apiKeySecretArn: SECRET_ARN }, read, {})).toBe(API_KEY);
    expect(await resolveApiKey({}, read, { KEYGATE_API_KEY_SECRET_ARN: SECRET_ARN })).toBe(API_KEY);
    expect(await resolveApiKey({}, read, {})).toBeUndefined();
    expect(server.received.filter(isSecretsCall)).toHaveLength(2);
    await expect(resolveApiKey({}, read, { KEYGATE_API_KEY: 'short' })).rejects.toThrow(
      'the API key (KEYGATE_API_KEY) must be 20 to 128 letters and digits',
    );
  });

  test('KeygateClient reads the secret once and sends X-API-Key, signed, on every request', async () => {
    const client = new KeygateClient({
      baseUrl: `${server.url}/prod`,
      region: 'eu-west-1',
      credentials: KEY,
      apiKeySecretArn: SECRET_ARN,
      secretsManagerEndpoint: server.url,
    });
    await client.listModels();
    await client.listModels();
    const api = server.received.filter((r) => !isSecretsCall(r));
    expect(server.received.filter(isSecretsCall)).toHaveLength(1);
    expect(api).toHaveLength(2);
    for (const r of api) {
      expect(r.signatureValid).toBe(true);
      expect(r.headers['x-api-key']).toBe(API_KEY);
      expect(String(r.headers.authorization)).toContain('SignedHeaders=host;x-amz-date;x-api-key,');
    }
  });

  test('KeygateClient without a key sends none, and the tiered API answers 403 Forbidden', async () => {
    const client = new KeygateClient({
      baseUrl: `${server.url}/prod`,
      region: 'eu-west-1',
      credentials: KEY,
    });
    await expect(client.listModels()).rejects.toMatchObject({ status: 403, message: 'Forbidden' });
    expect(server.received[0].headers['x-api-key']).toBeUndefined();
  });

  test('keygate-call --api-key-secret sends the key; the key is printed nowhere', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', KEY.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', KEY.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    let out = '';
    let err = '';
    const status = await main(
      ['-i', '--region', 'eu-west-1', '--api-key-secret', SECRET_ARN, `${server.url}/prod/machine/models`],
      { out: (s) => (out += s), err: (s) => (err += s), env: {}, secretsEndpoint: server.url },
    );
    expect({ status, err }).toEqual({ status: 0, err: '' });
    expect(out).toContain('{"models":[]}');
    expect(out).not.toContain(API_KEY);
    expect(server.received.filter((r) => !isSecretsCall(r)).map((r) => r.headers['x-api-key'])).toEqual([
      API_KEY,
    ]);
  });

  test('keygate-call with an unreadable secret exits 2 naming the secret and the error', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', KEY.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', KEY.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    let err = '';
    const status = await main(['--region', 'eu-west-1', `${server.url}/prod/machine/models`], {
      out: () => undefined,
      err: (s) => (err += s),
      env: { KEYGATE_API_KEY_SECRET_ARN: MISSING_ARN },
      secretsEndpoint: server.url,
    });
    expect(status).toBe(2);
    expect(err).toBe(
      `keygate-call: cannot read the API key secret ${MISSING_ARN}: ResourceNotFoundException (HTTP 400)\n`,
    );
  });
});
