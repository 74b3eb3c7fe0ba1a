/**
 * The signer against AWS's official Signature Version 4 test suite: for each case, the Authorization
 * header (and the presigned-URL signature) must equal the suite's expected values exactly.
 */
import { createHash } from 'node:crypto';
import { HttpRequest } from '@smithy/protocol-http';
import { describe, expect, it } from 'vitest';
import { createSigner } from '../../client/sign-request';
import suite from '../fixtures/sigv4/aws-sigv4-suite.json';

interface SuiteCase {
  name: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  region: string;
  service: string;
  timestamp: string;
  expiresInSeconds: number;
  signBody: boolean;
  request: {
    method: string;
    path: string;
    query: [string, string][];
    headers: [string, string][];
    body?: string;
  };
  expected: Record<'header' | 'query', { canonicalRequest: string; stringToSign: string; signature: string }>;
}

const CASES = (suite.cases as SuiteCase[]).map((c) => [c.name, c] as const);

/** The suite's raw request as the signer's input: duplicate header lines are joined with commas (RFC 9110 5.3). */
function toHttpRequest(c: SuiteCase): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of c.request.headers) {
    const key = k.toLowerCase();
    headers[key] = headers[key] === undefined ? v : `${headers[key]},${v}`;
  }
  const query: Record<string, string> = Object.fromEntries(c.request.query);
  return new HttpRequest({
    method: c.request.method,
    protocol: 'https:',
    hostname: headers.host,
    path: c.request.path,
    query,
    headers,
    body: c.request.body,
  });
}

function signerFor(c: SuiteCase) {
  return createSigner({
    region: c.region,
    service: c.service,
    credentials: c.credentials,
    signBodyHeader: c.signBody,
  });
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

describe('SigV4 signing: AWS test suite', () => {
  it.each(CASES)(
    '%s: the suite data is self-consistent (string to sign hashes the canonical request)',
    (_, c) => {
      for (const kind of ['header', 'query'] as const) {
        const lines = c.expected[kind].stringToSign.split('\n');
        expect(lines[3]).toBe(sha256(c.expected[kind].canonicalRequest));
      }
    },
  );

  it.each(CASES)('%s: Authorization header equals the expected signature', async (_, c) => {
    const signed = await signerFor(c).sign(toHttpRequest(c), { signingDate: new Date(c.timestamp) });
    const auth = signed.headers.authorization;
    const canonicalLines = c.expected.header.canonicalRequest.split('\n');
    const signedHeaders = canonicalLines[canonicalLines.length - 2];
    const scope = c.expected.header.stringToSign.split('\n')[2];
    expect(auth).toBe(
      `AWS4-HMAC-SHA256 Credential=${c.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${c.expected.header.signature}`,
    );
    expect(signed.headers['x-amz-date']).toBe(c.expected.header.stringToSign.split('\n')[1]);
    if (c.credentials.sessionToken)
      expect(signed.headers['x-amz-security-token']).toBe(c.credentials.sessionToken);
  });

  it.each(CASES.filter(([, c]) => !c.signBody))(
    '%s: presigned URL signature equals the expected one',
    async (_, c) => {
      const presigned = await signerFor(c).presign(toHttpRequest(c), {
        signingDate: new Date(c.timestamp),
        expiresIn: c.expiresInSeconds,
      });
      expect(presigned.query?.['X-Amz-Signature']).toBe(c.expected.query.signature);
    },
  );

  it('covers paths with spaces and unicode, query strings and session tokens', () => {
    const names = CASES.map(([n]) => n);
    expect(names).toEqual(
      expect.arrayContaining([
        'get-space-normalized',
        'get-utf8',
        'get-vanilla-empty-query-key',
        'post-vanilla-query',
        'get-vanilla-with-session-token',
      ]),
    );
  });
});
