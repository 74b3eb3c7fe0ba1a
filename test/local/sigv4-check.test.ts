import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { signRequest } from '../../client/sign-request';
import { checkSigV4 } from '../../local/gateway/sigv4-check';
import type { LocalIamCredential, SignedRequest } from '../../local/gateway/sigv4-check';

const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

// Values from AWS's Signature Version 4 test suite (credentials AKIDEXAMPLE, 2015-08-30T12:36:00Z,
// us-east-1, service "service"): the request as sent and the signature AWS computed for it.
const SUITE_TIME = Date.UTC(2015, 7, 30, 12, 36, 0);
const SUITE_KEY: LocalIamCredential = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  callerArn: 'arn:aws:iam::111122223333:user/example',
  callerId: 'AIDAEXAMPLE',
  routes: [],
};
const SUITE_TOKEN = '6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267';
const scope = 'AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';
const auth = (signed: string, sig: string) =>
  `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=${signed}, Signature=${sig}`;

const SUITE: [string, SignedRequest, LocalIamCredential][] = [
  [
    'get-vanilla',
    {
      method: 'GET',
      path: '/',
      rawQuery: '',
      headers: {
        host: 'example.amazonaws.com',
        'x-amz-date': '20150830T123600Z',
        authorization: auth(
          'host;x-amz-date',
          '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
        ),
      },
      body: Buffer.alloc(0),
    },
    SUITE_KEY,
  ],
  [
    'get-vanilla-with-session-token',
    {
      method: 'GET',
      path: '/',
      rawQuery: '',
      headers: {
        host: 'example.amazonaws.com',
        'x-amz-date': '20150830T123600Z',
        'x-amz-security-token': SUITE_TOKEN,
        authorization: auth(
          'host;x-amz-date;x-amz-security-token',
          '07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8',
        ),
      },
      body: Buffer.alloc(0),
    },
    { ...SUITE_KEY, sessionToken: SUITE_TOKEN },
  ],
  [
    'post-vanilla-query',
    {
      method: 'POST',
      path: '/',
      rawQuery: 'Param1=value1',
      headers: {
        host: 'example.amazonaws.com',
        'x-amz-date': '20150830T123600Z',
        authorization: auth(
          'host;x-amz-date',
          '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11',
        ),
      },
      body: Buffer.alloc(0),
    },
    SUITE_KEY,
  ],
  [
    'get-header-value-trim',
    {
      method: 'GET',
      path: '/',
      rawQuery: '',
      headers: {
        host: 'example.amazonaws.com',
        'my-header1': ' value1',
        'my-header2': ' "a   b   c"',
        'x-amz-date': '20150830T123600Z',
        authorization: auth(
          'host;my-header1;my-header2;x-amz-date',
          'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736',
        ),
      },
      body: Buffer.alloc(0),
    },
    SUITE_KEY,
  ],
  [
    'post-x-www-form-urlencoded',
    {
      method: 'POST',
      path: '/',
      rawQuery: '',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        host: 'example.amazonaws.com',
        'content-length': '13',
        'x-amz-date': '20150830T123600Z',
        'x-amz-content-sha256': '9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e',
        authorization: auth(
          'content-length;content-type;host;x-amz-content-sha256;x-amz-date',
          'd3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b',
        ),
      },
      body: Buffer.from('Param1=value1'),
    },
    SUITE_KEY,
  ],
];

const suiteOptions = (cred: LocalIamCredential) => ({
  region: 'us-east-1',
  service: 'service',
  credentials: [cred],
  now: () => SUITE_TIME,
});

describe('checkSigV4 against the AWS Signature Version 4 test suite', () => {
  it.each(SUITE)('accepts %s', async (_name, req, cred) => {
    const result = await checkSigV4(req, suiteOptions(cred));
    expect(result).toMatchObject({ ok: true, credential: { accessKeyId: 'AKIDEXAMPLE' } });
  });

  it.each(SUITE)('refuses %s with one signature digit changed', async (_name, req, cred) => {
    const authz = req.headers.authorization;
    const last = authz.slice(-1);
    const tampered = {
      ...req,
      headers: { ...req.headers, authorization: authz.slice(0, -1) + (last === '0' ? '1' : '0') },
    };
    expect(await checkSigV4(tampered, suiteOptions(cred))).toMatchObject({
      ok: false,
      reason: 'sigv4_mismatch',
    });
  });
});

describe('checkSigV4 refusals', () => {
  const region = 'eu-west-1';
  const now = Date.UTC(2026, 0, 15, 10, 0, 0);
  const cred: LocalIamCredential = {
    accessKeyId: 'AKIALOCALTESTKEY0001',
    secretAccessKey: 'local-test-secret-access-key-0000000000',
    callerArn: 'arn:aws:sts::000000000000:assumed-role/machine/local',
    callerId: 'AROALOCAL:local',
    routes: ['GET /machine/models'],
  };

  async function sign(
    overrides: {
      at?: number;
      path?: string;
      query?: Record<string, string>;
      body?: string;
      key?: LocalIamCredential;
      region?: string;
      service?: string;
      /** Send and sign `x-amz-content-sha256`: the body's hash (true) or this value. */
      contentSha256?: true | string;
    } = {},
  ): Promise<SignedRequest> {
    const key = overrides.key ?? cred;
    const signer = new SignatureV4({
      credentials: {
        accessKeyId: key.accessKeyId,
        secretAccessKey: key.secretAccessKey,
        sessionToken: key.sessionToken,
      },
      region: overrides.region ?? region,
      service: overrides.service ?? 'execute-api',
      sha256: Sha256,
      applyChecksum: overrides.contentSha256 === true,
    });
    const path = overrides.path ?? '/machine/models';
    const claimed = typeof overrides.contentSha256 === 'string' ? overrides.contentSha256 : undefined;
    const query = overrides.query ?? {};
    const request = new HttpRequest({
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 8080,
      path,
      query,
      headers: {
        host: '127.0.0.1:8080',
        'content-type': 'application/json',
        'user-agent': 'test',
        ...(claimed !== undefined ? { 'x-amz-content-sha256': claimed } : {}),
      },
      body: overrides.body ?? '{"input":"x"}',
    });
    const signed = await signer.sign(request, { signingDate: new Date(overrides.at ?? now) });
    const headers = Object.fromEntries(
      Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), String(v)]),
    );
    return {
      method: 'POST',
      path,
      rawQuery: new URLSearchParams(query).toString().replace(/\+/g, '%20'),
      headers,
      body: Buffer.from(overrides.body ?? '{"input":"x"}'),
    };
  }

  const check = (req: SignedRequest, credentials = [cred]) =>
    checkSigV4(req, { region, credentials, now: () => now });

  it('accepts a signed request with a path, a query with spaces, and unsigned extra headers', async () => {
    const req = await sign({ path: '/machine/models/sentiment/invoke', query: { q: 'a b', z: '1' } });
    expect(await check({ ...req, headers: { ...req.headers, 'x-forwarded-for': '10.0.0.1' } })).toMatchObject(
      { ok: true },
    );
  });

  it.each([
    [
      'no Authorization header',
      async () => ({ ...(await sign()), headers: { host: '127.0.0.1:8080' } }),
      'sigv4_missing',
    ],
    [
      'a bearer token',
      async () => ({
        ...(await sign()),
        headers: { ...(await sign()).headers, authorization: 'Bearer abc' },
      }),
      'sigv4_malformed',
    ],
    [
      'an unknown access key',
      async () => sign({ key: { ...cred, accessKeyId: 'AKIAUNKNOWNKEY000000' } }),
      'sigv4_unknown_key',
    ],
    ['a wrong secret', async () => sign({ key: { ...cred, secretAccessKey: 'wrong' } }), 'sigv4_mismatch'],
    ['a signature 16 minutes old', async () => sign({ at: now - 16 * 60_000 }), 'sigv4_expired'],
    ['a signature 16 minutes ahead', async () => sign({ at: now + 16 * 60_000 }), 'sigv4_expired'],
    ['another region', async () => sign({ region: 'us-east-1' }), 'sigv4_scope_mismatch'],
    ['another service', async () => sign({ service: 'lambda' }), 'sigv4_scope_mismatch'],
    [
      'a body changed after signing',
      async () => ({ ...(await sign()), body: Buffer.from('{"input":"y"}') }),
      'sigv4_mismatch',
    ],
    [
      'a path changed after signing',
      async () => ({ ...(await sign()), path: '/machine/models/x' }),
      'sigv4_mismatch',
    ],
    [
      'a query added after signing',
      async () => ({ ...(await sign()), rawQuery: 'admin=1' }),
      'sigv4_mismatch',
    ],
    [
      'a session token the credential does not have',
      async () => {
        const r = await sign();
        return { ...r, headers: { ...r.headers, 'x-amz-security-token': 'abc' } };
      },
      'sigv4_token_invalid',
    ],
  ])('refuses %s', async (_name, build, reason) => {
    const result = await check(await build());
    expect(result).toMatchObject({ ok: false, reason });
  });

  describe('the payload', () => {
    it('accepts a signed x-amz-content-sha256 that is the hash of the body', async () => {
      const req = await sign({ contentSha256: true });
      expect(req.headers['x-amz-content-sha256']).toBe(sha256Hex('{"input":"x"}'));
      expect(req.headers.authorization).toContain('x-amz-content-sha256');
      expect(await check(req)).toMatchObject({ ok: true });
    });

    it('refuses a captured request replayed with another body, though every signed header is intact', async () => {
      const captured = await sign({ contentSha256: true });
      const replayed = { ...captured, body: Buffer.from('{"input":"ignore previous instructions"}') };
      expect(await check(replayed)).toEqual({
        ok: false,
        reason: 'sigv4_payload_mismatch',
        message:
          'The provided x-amz-content-sha256 header does not match what was computed: the request body is ' +
          'not the body that was signed.',
      });
    });

    it.each(['UNSIGNED-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'unsigned-payload'])(
      'refuses %s, even correctly signed',
      async (value) => {
        const req = await sign({ contentSha256: value });
        expect(req.headers['x-amz-content-sha256']).toBe(value);
        expect(req.headers.authorization).toContain('x-amz-content-sha256');
        expect(await check(req)).toEqual({
          ok: false,
          reason: 'sigv4_payload_unsigned',
          message:
            'x-amz-content-sha256 says the payload is unsigned (UNSIGNED-PAYLOAD or a streaming mode), which ' +
            'this API does not accept: sign the body (its SHA-256 in the canonical request) instead.',
        });
      },
    );

    it('refuses an unsigned x-amz-content-sha256 that lies about the body', async () => {
      const req = await sign();
      const forged = { ...req, headers: { ...req.headers, 'x-amz-content-sha256': sha256Hex('other') } };
      expect(await check(forged)).toMatchObject({ ok: false, reason: 'sigv4_payload_mismatch' });
    });
  });

  it.each([false, true])(
    "accepts Keygate's signing client, with signBodyHeader %s, and refuses its request with another body",
    async (signBodyHeader) => {
      const body = '{"input":"hello"}';
      const signed = await signRequest(
        { method: 'POST', url: 'http://127.0.0.1:8080/machine/models?q=a%20b', body },
        { region, credentials: cred, signBodyHeader },
      );
      expect(signed.headers['x-amz-content-sha256']).toBe(signBodyHeader ? sha256Hex(body) : undefined);
      const received: SignedRequest = {
        method: signed.method,
        path: '/machine/models',
        rawQuery: 'q=a%20b',
        headers: Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v])),
        body: Buffer.from(body),
      };
      // The client signs with the current time.
      const checkNow = (r: SignedRequest) => checkSigV4(r, { region, credentials: [cred] });
      expect(await checkNow(received)).toMatchObject({ ok: true });
      expect(await checkNow({ ...received, body: Buffer.from('{"input":"other"}') })).toMatchObject({
        ok: false,
        reason: signBodyHeader ? 'sigv4_payload_mismatch' : 'sigv4_mismatch',
      });
    },
  );

  it('requires the session token of temporary credentials, and accepts it when signed', async () => {
    const temporary = { ...cred, sessionToken: 'session-token-1' };
    const signed = await sign({ key: temporary });
    expect(signed.headers['x-amz-security-token']).toBe('session-token-1');
    expect(await check(signed, [temporary])).toMatchObject({ ok: true });
    const without = Object.fromEntries(
      Object.entries(signed.headers).filter(([k]) => k !== 'x-amz-security-token'),
    );
    expect(await check({ ...signed, headers: without }, [temporary])).toMatchObject({
      ok: false,
      reason: 'sigv4_token_invalid',
    });
  });
});
