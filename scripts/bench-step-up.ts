/**
 * `npm run bench:step-up`: what step-up routes cost the authorizer per request. The same handler, tokens
 * and request (a REST event on the route that needs the step-up), once over the default route table and
 * once over the same table plus step-up requirements (acr level, amr, sign-in age); fresh tokens (each new
 * to the handler's caches) and a repeated token. Interleaved rounds, medians, ratios within each round;
 * prints a table, asserts nothing (timings never gate tests).
 */
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import type { AuthorizerConfig } from '../common/authorizer-config';
import { DEFAULT_ROUTES } from '../common/app-config';
import type { RouteSpec } from '../common/route-model';
import { createHandler } from '../lambda/authorizer/handler';
import { createTokenVerifier } from '../lambda/authorizer/verify-token';

const ISSUER = 'https://sso.example.com/realms/keygate';
const KID = 'bench-step-up';
const ROUND_SIZE = 200;
const ROUNDS = 12;
const WARMUP_ROUNDS = 2;
const REPEATS = 4_000;

const QUIET = { decision() {}, jwksFailure() {}, configInvalid() {} };

/** The default table with a step-up demand on the invoke route and on every other route with a requirement. */
function withStepUp(routes: readonly RouteSpec[]): RouteSpec[] {
  return routes.map((r) =>
    r.auth === 'keycloak' && r.requirement !== undefined
      ? { ...r, requirement: { ...r.requirement, stepUp: { minLoa: 2, amr: ['otp'], maxAgeSeconds: 900 } } }
      : r,
  );
}

function configOf(routes: readonly RouteSpec[]): AuthorizerConfig {
  return {
    version: 1,
    issuers: [
      {
        kind: 'keycloak',
        issuer: ISSUER,
        allowedClients: ['keygate-web'],
        allowedAudiences: ['keygate-api'],
        acrLoaMap: { silver: 1, gold: 2 },
      },
    ],
    routes,
    resultCacheTtlSeconds: 300,
  };
}

function restEvent(token: string, i: number): Record<string, unknown> {
  return {
    type: 'REQUEST',
    methodArn: 'arn:aws:execute-api:eu-west-1:111122223333:k3yg4te001/prod/POST/models/sentiment/invoke',
    resource: '/models/{modelId}/invoke',
    path: '/models/sentiment/invoke',
    httpMethod: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    multiValueHeaders: { Authorization: [`Bearer ${token}`] },
    pathParameters: { modelId: 'sentiment' },
    requestContext: {
      requestId: `bench-${i}`,
      stage: 'prod',
      apiId: 'k3yg4te001',
      accountId: '111122223333',
    },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function opsPerSecond(n: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await op(i);
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function main(): Promise<void> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', {
    modulusLength: 2048,
    extractable: true,
  });
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' } as JWK] };
  const now = Math.floor(Date.now() / 1000);
  const pool = (WARMUP_ROUNDS + ROUNDS) * ROUND_SIZE * 2 + 1;
  const tokens: string[] = [];
  for (let i = 0; i < pool; i++) {
    tokens.push(
      await new SignJWT({
        typ: 'Bearer',
        azp: 'keygate-web',
        aud: ['keygate-api'],
        scope: 'openid',
        realm_access: { roles: ['model-user', 'model:sentiment:invoke'] },
        acr: 'gold',
        amr: ['pwd', 'otp'],
        auth_time: now - 60,
      })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: KID })
        .setIssuer(ISSUER)
        .setSubject(`u-${i}`)
        .setIssuedAt(now)
        .setExpirationTime(now + 900)
        .sign(privateKey),
    );
  }
  const handlerFor = (config: AuthorizerConfig) =>
    createHandler({
      config: { ok: true, config },
      createVerifier: (c, ev) => createTokenVerifier(c, { events: ev, jwks: { [ISSUER]: jwks } }),
      log: QUIET,
    });
  const plain = handlerFor(configOf(DEFAULT_ROUTES));
  const stepped = handlerFor(configOf(withStepUp(DEFAULT_ROUTES)));
  for (const h of [plain, stepped]) {
    const r = await h(restEvent(tokens[0], 0));
    if (!('policyDocument' in r) || r.policyDocument.Statement[0]?.Effect !== 'Allow')
      throw new Error(`the benchmark token is not allowed: ${JSON.stringify(r)}`);
  }
  let next = 1;
  const fresh: number[] = [];
  const repeated: number[] = [];
  const rates: number[][] = [[], [], [], []];
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    const a = await opsPerSecond(ROUND_SIZE, () => plain(restEvent(tokens[next], next++)));
    const b = await opsPerSecond(ROUND_SIZE, () => stepped(restEvent(tokens[next], next++)));
    const same = restEvent(tokens[0], 0);
    const c = await opsPerSecond(REPEATS, () => plain(same));
    const d = await opsPerSecond(REPEATS, () => stepped(same));
    if (round >= WARMUP_ROUNDS) {
      [a, b, c, d].forEach((x, i) => rates[i].push(x));
      fresh.push(b / a);
      repeated.push(d / c);
    }
  }
  const ops = (i: number) => `${Math.round(median(rates[i])).toLocaleString('en')} ops/s`;
  const rows = [
    ['fresh tokens', ops(0), ops(1), `${median(fresh).toFixed(2)}×`],
    ['repeated token', ops(2), ops(3), `${median(repeated).toFixed(2)}×`],
  ];
  const header = '| request | plain table | step-up table | step-up / plain (median of ratios) |';
  console.log([header, '| --- | --- | --- | --- |', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n'));
  console.log(
    `\nNode ${process.version}; ${WARMUP_ROUNDS} warm-up rounds, then ${ROUNDS} interleaved rounds of ${ROUND_SIZE} fresh tokens and ${REPEATS} repeated calls per handler; ratios taken within each round.`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
