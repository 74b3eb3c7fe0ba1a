/**
 * Two trusted Keycloak realms. The second realm's administrators created a client named like the API's
 * (`keygate-api`) with an `admin` role, and realm roles of the same names as the first realm's: none of
 * it may meet a requirement scoped to the first realm. Real signed tokens, real HTTPS JWKS servers; the
 * handler from the sources and the built bundle (as deployed) answer alike.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizerConfig } from '../../../common/authorizer-config';
import { AUTHORIZER_CONFIG_ENV } from '../../../common/authorizer-config';
import { CONTEXT_KEYS } from '../../../common/identity-context';
import { createHandler } from '../../../lambda/authorizer/handler';
import type { IamPolicyResponse } from '../../../lambda/authorizer/build-response';
import { createTokenVerifier } from '../../../lambda/authorizer/verify-token';
import { lambdaAssetDir } from '../../../lib/internal/lambda-entries';
import { PACKAGE_ROOT } from '../../../scripts/build-lambdas';
import { apigwEvent, methodArn } from '../../fixtures/apigw/events';
import { startJwksServer } from '../../support/https-server';
import type { JwksServer } from '../../support/https-server';
import { generateSigningKey, jwksOf } from '../../support/keys';
import type { TestKey } from '../../support/keys';
import { keycloakAccessToken } from '../../support/tokens';
import { RecordingLog, evaluatePolicy } from './pipeline-fixtures';

const run = promisify(execFile);

/** What both realms' tokens carry: the first realm's entitlement names, in each realm's own token. */
const SAME_NAMES = {
  realmRoles: ['admin', 'model:sentiment:invoke'],
  extra: {
    resource_access: {
      'keygate-api': { roles: ['admin', 'model:sentiment:invoke'] },
      'partner-api': { roles: ['reader'] },
    },
  },
};

const REQUESTS = [
  { method: 'GET', path: '/admin' },
  { method: 'POST', path: '/models/sentiment/invoke' },
  { method: 'GET', path: '/partner' },
  { method: 'GET', path: '/me' },
] as const;

describe('several trusted issuers', () => {
  let a: JwksServer;
  let b: JwksServer;
  let keyA: TestKey;
  let keyB: TestKey;
  let issuerA: string;
  let issuerB: string;
  let config: AuthorizerConfig;
  let tokenA: string;
  let tokenB: string;

  beforeAll(async () => {
    [keyA, keyB] = await Promise.all([generateSigningKey('RS256'), generateSigningKey('RS256')]);
    [a, b] = await Promise.all([startJwksServer(jwksOf(keyA)), startJwksServer(jwksOf(keyB))]);
    issuerA = `${a.url}/realms/a`;
    issuerB = `${b.url}/realms/b`;
    config = {
      version: 1,
      issuers: [
        { kind: 'keycloak', issuer: issuerA, allowedClients: ['web'], roleClients: ['keygate-api'] },
        { kind: 'keycloak', issuer: issuerB, allowedClients: ['partner-web'], roleClients: ['partner-api'] },
      ],
      routes: [
        {
          method: 'GET',
          path: '/admin',
          auth: 'keycloak',
          requirement: {
            anyOf: { realmRoles: ['admin'], clientRoles: ['keygate-api:admin'] },
            issuers: [issuerA],
          },
        },
        {
          method: 'POST',
          path: '/models/{modelId}/invoke',
          auth: 'keycloak',
          requirement: {
            anyOf: {
              realmRoles: ['model:{modelId}:invoke'],
              clientRoles: ['keygate-api:model:{modelId}:invoke'],
            },
            issuers: [issuerA],
          },
        },
        {
          method: 'GET',
          path: '/partner',
          auth: 'keycloak',
          requirement: { anyOf: { clientRoles: ['partner-api:reader'] }, issuers: [issuerB] },
        },
        { method: 'GET', path: '/me', auth: 'keycloak', requirement: { issuers: [issuerA, issuerB] } },
      ],
    };
    tokenA = keycloakAccessToken(keyA, { issuer: issuerA, azp: 'web', ...SAME_NAMES });
    tokenB = keycloakAccessToken(keyB, { issuer: issuerB, azp: 'partner-web', ...SAME_NAMES });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  function handler(log = new RecordingLog()) {
    return createHandler({
      config: { ok: true, config },
      // Both servers present the one test certificate of this process.
      createVerifier: (c, events) => createTokenVerifier(c, { events, requestOptions: { ca: a.ca } }),
      log,
    });
  }

  /** The policy's answer for every request of REQUESTS, and the decision logged for the first. */
  async function answers(token: string, first: (typeof REQUESTS)[number]) {
    const log = new RecordingLog();
    const h = handler(log);
    const event = apigwEvent('rest', { ...first, authorization: `Bearer ${token}` });
    const response = (await h(event)) as IamPolicyResponse;
    const policy = Object.fromEntries(
      REQUESTS.map((r) => [
        `${r.method} ${r.path}`,
        evaluatePolicy(response.policyDocument.Statement, methodArn('rest', r.method, r.path)),
      ]),
    );
    return { policy, reason: log.lines[0]?.reason, context: response.context };
  }

  it('validates: the configuration has every keycloak route scoped', () => {
    expect(config.routes.filter((r) => r.requirement?.issuers === undefined)).toEqual([]);
    expect(config.routes).toHaveLength(4);
  });

  it("denies the second realm's token every route scoped to the first, whatever its roles are named", async () => {
    const got = await answers(tokenB, REQUESTS[0]);
    expect(got.reason).toBe('route_forbidden');
    expect(got.policy).toEqual({
      'GET /admin': 'deny',
      'POST /models/sentiment/invoke': 'deny',
      'GET /partner': 'allow',
      'GET /me': 'allow',
    });
    // Only its realm's configured role client counts: its `keygate-api` roles never reach the backend.
    expect(got.context?.[CONTEXT_KEYS.clientRoles]).toBe('partner-api:reader');
    expect(got.context?.[CONTEXT_KEYS.issuer]).toBe(issuerB);
  });

  it("allows the first realm's token the same roles grant there, and nothing scoped to the second", async () => {
    const got = await answers(tokenA, REQUESTS[0]);
    expect(got.reason).toBe('allowed');
    expect(got.policy).toEqual({
      'GET /admin': 'allow',
      'POST /models/sentiment/invoke': 'allow',
      'GET /partner': 'deny',
      'GET /me': 'allow',
    });
    expect(got.context?.[CONTEXT_KEYS.clientRoles]).toBe(
      'keygate-api:admin keygate-api:model:sentiment:invoke',
    );
  });

  it('the built bundle answers alike', async () => {
    const dir = path.join(PACKAGE_ROOT, lambdaAssetDir('authorizer'));
    const caFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-ca-')), 'ca.pem');
    fs.writeFileSync(caFile, a.ca);
    const events = [
      apigwEvent('rest', { method: 'GET', path: '/admin', authorization: `Bearer ${tokenB}` }),
      apigwEvent('rest', {
        method: 'POST',
        path: '/models/sentiment/invoke',
        authorization: `Bearer ${tokenB}`,
      }),
      apigwEvent('rest', { method: 'GET', path: '/admin', authorization: `Bearer ${tokenA}` }),
    ];
    const script = [
      "const { handler } = require('./index.js');",
      `const events = ${JSON.stringify(events)};`,
      '(async () => {',
      '  const out = [];',
      '  for (const e of events) out.push(await handler(e).then((r) => r, (err) => err.message));',
      "  process.stdout.write('RESULT ' + JSON.stringify(out) + '\\n');",
      '})();',
    ].join('\n');
    // Asynchronous: the JWKS servers run in this process and must answer while the bundle runs.
    const { stdout } = await run(process.execPath, ['-e', script], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        NODE_EXTRA_CA_CERTS: caFile,
        [AUTHORIZER_CONFIG_ENV]: JSON.stringify(config),
      },
      timeout: 30_000,
    });
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    const [adminB, invokeB, adminA] = JSON.parse((line ?? 'RESULT []').slice(7)) as IamPolicyResponse[];
    const verdict = (r: IamPolicyResponse, method: string, p: string) =>
      evaluatePolicy(r.policyDocument.Statement, methodArn('rest', method, p));
    expect([
      verdict(adminB, 'GET', '/admin'),
      verdict(adminB, 'POST', '/models/sentiment/invoke'),
      verdict(invokeB, 'POST', '/models/sentiment/invoke'),
      verdict(adminB, 'GET', '/partner'),
      verdict(adminA, 'GET', '/admin'),
    ]).toEqual(['deny', 'deny', 'deny', 'allow', 'allow']);
    expect(adminB.context?.[CONTEXT_KEYS.clientRoles]).toBe('partner-api:reader');
  }, 40_000);
});
