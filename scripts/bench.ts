/**
 * `npm run bench`: the authorizer's speed and size, measured against baselines in the same run.
 *
 * Throughput (ops/s, median of interleaved rounds, one RS256 key, Keycloak-shaped tokens):
 *   floor     node:crypto.verify on one token's signing input (the cost of the RSA operation alone)
 *   bare      aws-jwt-verify JwtRsaVerifier, JWKS cached, fresh tokens
 *   sync      the same verifier's verifySync on the same tokens: the library's part of a fresh request
 *             (the handler calls verifySync while the key is cached), so that the handler's time minus
 *             this is the time Keygate's own steps take, set beside what the fresh target leaves them
 *   jose      jose jwtVerify with a local JWK set, fresh tokens
 *   fresh     the handler end to end (REST event -> policy, decision log formatted) on tokens it has never
 *             seen: one handler lives through all rounds, as a warm container does, and every round
 *             brings new tokens, so each one is decoded, verified and parsed from scratch
 *   repeated  another warm handler on one repeated token (verified-claims cache hit)
 * Untimed warm-up rounds come first, so every path runs optimized code, as in a warm container. Each
 * ratio's baseline is timed in two halves around the measure it is compared with.
 * Log lines: one decision line as decision-log.ts writes it, and the same line from Powertools Logger
 * (the measured alternative, not used by the authorizer).
 * Size and cold start: the authorizer built exactly as deployed (the shared bundle options): its core bundle
 * `index.js`, which every cold start loads, and its session module `session.js`, which `index.js` loads
 * only when browser sessions are configured, each minified; the core's module load time in fresh Node
 * processes (configuration without sessions, so session.js is not loaded) against a bundle of bare
 * aws-jwt-verify + Powertools Logger, and against the authorizer plus Powertools Metrics (the cost of
 * emitting metrics in-process instead of metric filters on the decision log).
 *
 * Logs are formatted as in production but not written to the terminal while timing.
 */
import { constants, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import type { BuildOptions } from 'esbuild';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { JWK, createLocalJWKSet, jwtVerify } from 'jose';
import type { JwtRsaVerifier } from 'aws-jwt-verify';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { createHandler } from '../lambda/authorizer/handler';
import type { createDecisionLog } from '../lambda/authorizer/decision-log';
import type { createTokenVerifier } from '../lambda/authorizer/verify-token';
import type { AuthorizerConfig } from '../common/authorizer-config';
import { AUTHORIZER_CONFIG_ENV } from '../common/authorizer-config';
import { checkedAuthorizerConfig } from '../common/checked-authorizer-config';
import { DEFAULT_ROUTES } from '../common/app-config';
import { startJwksServer } from '../test/support/https-server';
import {
  AUTHORIZER_BUNDLE_OPTIONS,
  AUTHORIZER_ENTRY,
  AUTHORIZER_SESSION_MODULE,
} from './authorizer-bundle-options';
import { esbuildOptions as deployedOptions } from './build-lambdas';
import { createHandler as handlerOf } from '../lambda/authorizer/handler';
import { MemoryRevocationStore } from '../lambda/revocation/revocation-store';
import { DynamoDbRevocationStore } from '../lambda/revocation/dynamodb-revocation-store';
import { REVOCATION_TABLE } from '../common/revocation';
import { startDynamoDbServer } from '../test/support/dynamodb-server';
import { benchTokenBinding } from './bench-token-binding';

/**
 * What the throughput runs use, bundled with the authorizer's own esbuild options so the measured code
 * is the deployed code (not a dev-time transform of the sources).
 */
const MEASURED_MODULES = `
export { createHandler } from './lambda/authorizer/handler';
export { createTokenVerifier } from './lambda/authorizer/verify-token';
export { createDecisionLog } from './lambda/authorizer/decision-log';
export { Logger } from '@aws-lambda-powertools/logger';
export { JwtRsaVerifier } from 'aws-jwt-verify';
export { jwtVerify, createLocalJWKSet } from 'jose';
`;
interface Measured {
  createHandler: typeof createHandler;
  createTokenVerifier: typeof createTokenVerifier;
  createDecisionLog: typeof createDecisionLog;
  Logger: typeof Logger;
  JwtRsaVerifier: typeof JwtRsaVerifier;
  jwtVerify: typeof jwtVerify;
  createLocalJWKSet: typeof createLocalJWKSet;
}

const ROOT = path.join(__dirname, '..');
const ISSUER = 'https://sso.example.com/realms/keygate';
const JWKS_URI = `${ISSUER}/protocol/openid-connect/certs`;
const KID = 'bench-key-1';
/** Tokens per round: short interleaved rounds keep each ratio's two sides close in time on a busy machine. */
const ROUND_SIZE = 200;
const ROUNDS = 16;
/** Untimed rounds first, so every measured path runs optimized code (as in a warm Lambda container). */
const WARMUP_ROUNDS = 2;
/** Every round gets tokens no earlier round used: "fresh" means new to the handler's caches. */
const POOL = (WARMUP_ROUNDS + ROUNDS) * ROUND_SIZE;
const LOAD_RUNS = 21;
/** Fresh processes per side for the cold start's first decision. */
const COLD_RUNS = 15;
/** `npm run bench -- --only cold`: only the rows of the bundle's size, its load and the cold start. */
const COLD_ONLY = process.argv.slice(2).join(' ') === '--only cold';
const NO_THROUGHPUT = {
  floor: NaN,
  bare: NaN,
  sync: NaN,
  jose: NaN,
  fresh: NaN,
  repeated: NaN,
  newProfile: NaN,
  logLine: NaN,
  leanLine: NaN,
  freshRatio: NaN,
  repeatedRatio: NaN,
  ownMicros: NaN,
  budgetMicros: NaN,
  freshCpuRatio: NaN,
  repeatedCpuRatio: NaN,
};
/** The core bundle's size target, in bytes. */
const CORE_BUDGET = 64_000;
/** The fresh-token target: the handler's rate on fresh tokens at least this times bare's. */
const FRESH_TARGET = 0.9;

/** The Lambda context fields the log lines carry, as in production. */
const LAMBDA_CONTEXT = {
  functionName: 'keygate-authorizer',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:keygate-authorizer',
  memoryLimitInMB: '256',
  awsRequestId: '9d5f6d1e-2c4b-4e1a-8f3a-0b1c2d3e4f50',
};

/** As the construct renders it: checked, and stamped with its route table's digest. */
const CONFIG: AuthorizerConfig = checkedAuthorizerConfig({
  version: 1,
  issuers: [
    { kind: 'keycloak', issuer: ISSUER, allowedClients: ['keygate-web'], allowedAudiences: ['keygate-api'] },
  ],
  routes: DEFAULT_ROUTES,
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs `op` `n` times (awaiting when it returns a promise) and returns ops/s. */
async function opsPerSecond(n: number, op: (i: number) => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = op(i);
    if (r instanceof Promise) await r;
  }
  const ns = Number(process.hrtime.bigint() - start);
  return n / (ns / 1e9);
}

/**
 * Process CPU time spent in each measure, summed over the timed rounds: on a machine shared with other jobs,
 * wall-clock rates depend on how often the process is descheduled, CPU time far less. (Per round the
 * kernel's CPU accounting is too coarse; summed over all rounds it is not.)
 */
class CpuTally {
  private readonly spent = new Map<string, { micros: number; ops: number }>();

  async measure<T>(key: string, ops: number, counted: boolean, fn: () => Promise<T>): Promise<T> {
    const start = process.cpuUsage();
    const result = await fn();
    const used = process.cpuUsage(start);
    if (counted) {
      const t = this.spent.get(key) ?? { micros: 0, ops: 0 };
      t.micros += used.user + used.system;
      t.ops += ops;
      this.spent.set(key, t);
    }
    return result;
  }

  /** Operations per CPU second of `key`. */
  rate(key: string): number {
    const t = this.spent.get(key);
    return t ? t.ops / (t.micros / 1e6) : Number.NaN;
  }
}

/** Rate of two equal-sized runs taken together (total operations over total time). */
function harmonicMean(a: number, b: number): number {
  return 2 / (1 / a + 1 / b);
}

/** Formats logs as usual but keeps them off the terminal while `fn` runs. */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}

/**
 * A REST API REQUEST authorizer event, as the Lambda runtime hands it to the handler: parsed from the JSON
 * the service sent (so its strings are flat, as JSON.parse makes them, not joined from parts).
 */
function restEvent(token: string, i: number): Record<string, unknown> {
  return JSON.parse(JSON.stringify(restEventFields(token, i))) as Record<string, unknown>;
}

function restEventFields(token: string, i: number): Record<string, unknown> {
  return {
    type: 'REQUEST',
    methodArn: 'arn:aws:execute-api:eu-west-1:111122223333:k3yg4te001/prod/POST/models/sentiment/invoke',
    resource: '/models/{modelId}/invoke',
    path: '/models/sentiment/invoke',
    httpMethod: 'POST',
    headers: { Authorization: `Bearer ${token}`, Host: 'k3yg4te001.execute-api.eu-west-1.amazonaws.com' },
    multiValueHeaders: {
      Authorization: [`Bearer ${token}`],
      Host: ['k3yg4te001.execute-api.eu-west-1.amazonaws.com'],
    },
    queryStringParameters: {},
    multiValueQueryStringParameters: {},
    pathParameters: { modelId: 'sentiment' },
    stageVariables: {},
    requestContext: {
      requestId: `bench-${i}`,
      stage: 'prod',
      apiId: 'k3yg4te001',
      accountId: '111122223333',
    },
  };
}

async function throughput(m: Measured) {
  const {
    createHandler,
    createTokenVerifier,
    createDecisionLog,
    Logger,
    JwtRsaVerifier,
    jwtVerify,
    createLocalJWKSet,
  } = m;
  const { publicKey, privateKey } = await generateKeyPair('RS256', {
    modulusLength: 2048,
    extractable: true,
  });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  const jwks = { keys: [jwk] };
  const now = Math.floor(Date.now() / 1000);
  const sign = (i: number, roles: string[]) =>
    new SignJWT({
      typ: 'Bearer',
      azp: 'keygate-web',
      aud: ['keygate-api', 'account'],
      preferred_username: `user${i}`,
      scope: 'openid profile email',
      realm_access: { roles },
      resource_access: { account: { roles: ['view-profile'] } },
      sid: `s-${i}`,
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: KID })
      .setIssuer(ISSUER)
      .setSubject(`5f0c1c8e-0000-4000-8000-${String(i).padStart(12, '0')}`)
      .setIssuedAt(now)
      .setExpirationTime(now + 900)
      .setJti(`jti-${i}`)
      .sign(privateKey);
  const tokens: string[] = [];
  // The same tokens, each with an entitlement no other token has: every one is a new profile.
  const distinct: string[] = [];
  for (let i = 0; i < POOL; i++) {
    const roles = ['model-user', 'model:sentiment:invoke', 'default-roles-keygate'];
    tokens.push(await sign(i, roles));
    distinct.push(await sign(i, [...roles, `team-${i}`]));
  }
  const events = tokens.map((t, i) => restEvent(t, i));
  const distinctEvents = distinct.map((t, i) => restEvent(t, i));

  // floor: the RSA verification alone, on one token
  const [h, p, s] = tokens[0].split('.');
  const signingInput = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  const keyObject = createPublicKey({ key: jwk, format: 'jwk' });
  const floor = () => {
    if (
      !cryptoVerify(
        'sha256',
        signingInput,
        { key: keyObject, padding: constants.RSA_PKCS1_PADDING },
        signature,
      )
    ) {
      throw new Error('floor: signature does not verify');
    }
  };

  const bareVerifier = JwtRsaVerifier.create({ issuer: ISSUER, audience: null, jwksUri: JWKS_URI });
  bareVerifier.cacheJwks(jwks as Parameters<typeof bareVerifier.cacheJwks>[0]);
  const joseKeys = createLocalJWKSet(jwks);

  const newHandler = () =>
    createHandler({
      config: { ok: true, config: CONFIG },
      createVerifier: (config, ev) => createTokenVerifier(config, { events: ev, jwks: { [ISSUER]: jwks } }),
      log: createDecisionLog(),
    });

  // Correctness first: every measured path must actually allow.
  const check = await quietly(() => newHandler()(events[0]));
  if (!('policyDocument' in check) || check.policyDocument.Statement[0]?.Effect !== 'Allow') {
    throw new Error(`handler did not allow the benchmark token: ${JSON.stringify(check)}`);
  }
  await bareVerifier.verify(tokens[0]);
  await jwtVerify(tokens[0], joseKeys, { issuer: ISSUER, algorithms: ['RS256'] });

  const logger = new Logger({ serviceName: 'keygate-authorizer' });
  const line = {
    correlation_id: 'bench',
    decision: 'allow',
    reason: 'allowed',
    route: 'POST /models/{modelId}/invoke',
    iss: ISSUER,
    kid: KID,
    sub: 'sub',
    azp: 'keygate-web',
    durationMs: 0.1,
    cachedClaims: true,
  };

  // The same line as the authorizer writes it (decision-log.ts, Powertools' line shape), with context.
  const decisionLog = createDecisionLog();
  decisionLog.startInvocation?.(LAMBDA_CONTEXT);
  const decisionLine = {
    requestId: 'bench',
    decision: 'allow' as const,
    reason: 'allowed' as const,
    route: 'POST /models/{modelId}/invoke',
    facts: { iss: ISSUER, kid: KID, sub: 'sub', azp: 'keygate-web' },
    durationMs: 0.1,
    cached: true,
  };
  const leanLine = () => decisionLog.decision(decisionLine);
  logger.addContext({ ...LAMBDA_CONTEXT, functionVersion: '$LATEST' } as never);

  const keys = [
    'floor',
    'bare',
    'sync',
    'jose',
    'fresh',
    'repeated',
    'logLine',
    'leanLine',
    'newProfile',
  ] as const;
  const results = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<
    (typeof keys)[number],
    number[]
  >;
  const ratios = {
    fresh: [] as number[],
    repeated: [] as number[],
    ownMicros: [] as number[],
    budgetMicros: [] as number[],
  };
  const cpu = new CpuTally();
  // Two handlers living through all rounds, as two warm containers: one is only ever shown tokens it has
  // not seen before, the other one token again and again.
  const freshHandler = newHandler();
  const profileHandler = newHandler();
  const warm = newHandler();
  await quietly(() => warm(events[0], LAMBDA_CONTEXT));
  for (let r = -WARMUP_ROUNDS; r < ROUNDS; r++) {
    const slice = (r + WARMUP_ROUNDS) * ROUND_SIZE;
    const at = (i: number) => slice + i;
    // Each ratio's baseline is measured in two halves, before and after the measure it is compared with,
    // so a machine that speeds up or slows down during the round affects both sides alike. (Garbage is
    // not collected by force between measures: a forced full collection leaves the next measure running
    // in a state no Lambda container is ever in.)
    const half = ROUND_SIZE / 2;
    const timed = r >= 0;
    const bare1 = await cpu.measure('bare', half, timed, () =>
      opsPerSecond(half, (i) => bareVerifier.verify(tokens[at(i)])),
    );
    const freshOps = await cpu.measure('fresh', ROUND_SIZE, timed, () =>
      quietly(() => opsPerSecond(ROUND_SIZE, (i) => freshHandler(events[at(i)], LAMBDA_CONTEXT))),
    );
    const bare2 = await cpu.measure('bare', half, timed, () =>
      opsPerSecond(half, (i) => bareVerifier.verify(tokens[at(half + i)])),
    );
    const bareOps = harmonicMean(bare1, bare2);
    const syncOps = await opsPerSecond(ROUND_SIZE, (i) => bareVerifier.verifySync(tokens[at(i)]));
    const floor1 = await cpu.measure('floor', half, timed, () => opsPerSecond(half, floor));
    const repeatedOps = await cpu.measure('repeated', ROUND_SIZE * 20, timed, () =>
      quietly(() => opsPerSecond(ROUND_SIZE * 20, () => warm(events[0], LAMBDA_CONTEXT))),
    );
    const floor2 = await cpu.measure('floor', half, timed, () => opsPerSecond(half, floor));
    const floorOps = harmonicMean(floor1, floor2);
    const joseOps = await opsPerSecond(ROUND_SIZE, (i) =>
      jwtVerify(tokens[at(i)], joseKeys, { issuer: ISSUER, algorithms: ['RS256'] }),
    );
    const logLineOps = await quietly(() =>
      opsPerSecond(ROUND_SIZE * 20, () => logger.info('authorizer decision', line)),
    );
    const leanLineOps = await quietly(() => opsPerSecond(ROUND_SIZE * 20, leanLine));
    const newProfileOps = await quietly(() =>
      opsPerSecond(ROUND_SIZE, (i) => profileHandler(distinctEvents[at(i)], LAMBDA_CONTEXT)),
    );
    if (r < 0) continue;
    results.jose.push(joseOps);
    results.logLine.push(logLineOps);
    results.leanLine.push(leanLineOps);
    results.floor.push(floorOps);
    results.bare.push(bareOps);
    results.sync.push(syncOps);
    results.fresh.push(freshOps);
    results.repeated.push(repeatedOps);
    results.newProfile.push(newProfileOps);
    ratios.fresh.push(freshOps / bareOps);
    ratios.repeated.push(repeatedOps / floorOps);
    // Microseconds per request: the handler's beyond the library's verifySync, and what the target allows.
    ratios.ownMicros.push(1e6 / freshOps - 1e6 / syncOps);
    ratios.budgetMicros.push(1e6 / (FRESH_TARGET * bareOps) - 1e6 / syncOps);
  }
  const med = Object.fromEntries(keys.map((k) => [k, median(results[k])])) as Record<
    (typeof keys)[number],
    number
  >;
  return {
    ...med,
    freshRatio: median(ratios.fresh),
    repeatedRatio: median(ratios.repeated),
    ownMicros: median(ratios.ownMicros),
    budgetMicros: median(ratios.budgetMicros),
    // The same ratios from process CPU time (CpuTally), for a machine shared with other jobs.
    freshCpuRatio: cpu.rate('fresh') / cpu.rate('bare'),
    repeatedCpuRatio: cpu.rate('repeated') / cpu.rate('floor'),
  };
}

function esbuildOptions(): BuildOptions {
  const o = AUTHORIZER_BUNDLE_OPTIONS;
  return {
    bundle: true,
    minify: o.minify,
    format: o.format,
    target: o.target,
    platform: o.platform,
    mainFields: [...o.mainFields],
    external: [...o.externalModules],
    absWorkingDir: ROOT,
    logLevel: 'error',
  };
}

async function bundles(dir: string) {
  const out = (name: string) => path.join(dir, `${name}.js`);
  // The authorizer's asset directory as the package build writes it: the core `index.js`, which leaves the
  // session module external (its `require('./session.js')` stays in the output), and the module bundled on
  // its own beside it under the name the core requires it by; each ends with its source-map comment.
  // The package build's own options (scripts/build-lambdas.ts): the core and every further module.
  const asset = path.join(dir, 'authorizer');
  await build({ ...deployedOptions('authorizer', ROOT, asset), write: true, metafile: false });
  const authorizer = path.join(asset, 'index.js');
  const session = path.join(asset, AUTHORIZER_SESSION_MODULE);
  await build({
    ...esbuildOptions(),
    stdin: {
      resolveDir: ROOT,
      sourcefile: 'bare.ts',
      loader: 'ts',
      contents: [
        "import { JwtRsaVerifier } from 'aws-jwt-verify';",
        "import { Logger } from '@aws-lambda-powertools/logger';",
        "const logger = new Logger({ serviceName: 'bare' });",
        `const verifier = JwtRsaVerifier.create({ issuer: '${ISSUER}', audience: null, jwksUri: '${JWKS_URI}' });`,
        'export const handler = async (event: { token: string }) => { const p = await verifier.verify(event.token); logger.info("ok"); return p; };',
      ].join('\n'),
    },
    outfile: out('bare'),
  });
  await build({
    ...esbuildOptions(),
    // The deferred modules' stubs, as in the deployed core (the measured bundle inlines them instead).
    plugins: [...AUTHORIZER_BUNDLE_OPTIONS.plugins],
    stdin: {
      resolveDir: ROOT,
      sourcefile: 'with-metrics.ts',
      loader: 'ts',
      contents: [
        `export { handler } from './${AUTHORIZER_ENTRY.replace(/\.ts$/, '')}';`,
        "import { Metrics } from '@aws-lambda-powertools/metrics';",
        "export const metrics = new Metrics({ namespace: 'Keygate', serviceName: 'keygate-authorizer' });",
      ].join('\n'),
    },
    outfile: out('with-metrics'),
  });
  await build({
    ...esbuildOptions(),
    stdin: { resolveDir: ROOT, sourcefile: 'measured.ts', loader: 'ts', contents: MEASURED_MODULES },
    outfile: out('measured'),
  });
  return {
    authorizer,
    session,
    bare: out('bare'),
    withMetrics: out('with-metrics'),
    measured: out('measured'),
  };
}

/** Milliseconds to `require` a bundle in a fresh Node process (median of runs, interleaved). */
function loadTimes(files: Record<string, string>): {
  ms: Record<string, number>;
  /** Median over runs of each file's load time divided by the bare bundle's in the same run. */
  vsBare: Record<string, number>;
} {
  const env = {
    ...process.env,
    [AUTHORIZER_CONFIG_ENV]: JSON.stringify(CONFIG),
    POWERTOOLS_LOG_LEVEL: 'CRITICAL',
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(files).map((k) => [k, []]));
  for (let run = 0; run < LOAD_RUNS; run++) {
    // Every run loads each file once, in an order reversed from run to run, so neither side of a ratio is
    // always the first or the last of its run.
    const order = Object.entries(files);
    if (run % 2 === 1) order.reverse();
    for (const [name, file] of order) {
      const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stderr.write(String(Number(process.hrtime.bigint()-t)/1e6));`;
      const r = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
      const ms = Number(r.stderr);
      if (r.status !== 0 || !Number.isFinite(ms)) throw new Error(`loading ${name} failed: ${r.stderr}`);
      times[name].push(ms);
    }
  }
  return {
    ms: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])),
    vsBare: Object.fromEntries(
      Object.entries(times).map(([k, v]) => [k, median(v.map((t, run) => t / times.bare[run]))]),
    ),
  };
}

/** The bare side of the cold-start measure: aws-jwt-verify's own fetch and verification, and one log line. */
const BARE_COLD = [
  "import { JwtRsaVerifier } from 'aws-jwt-verify';",
  "import { Logger } from '@aws-lambda-powertools/logger';",
  "const logger = new Logger({ serviceName: 'bare' });",
  'const issuer = process.env.BENCH_ISSUER as string;',
  'const verifier = JwtRsaVerifier.create({ issuer, audience: null, jwksUri: `${issuer}/protocol/openid-connect/certs` });',
  'export const handler = async (event: { token: string }) => { const p = await verifier.verify(event.token); logger.info("ok"); return p; };',
].join('\n');

/**
 * A cold start's first decision, in fresh Node processes: load the bundle, fetch the JWKS from a loopback
 * HTTPS server (a real TLS handshake; both sides trust its certificate through NODE_EXTRA_CA_CERTS, as a
 * deployment would trust a public CA), verify one token and answer. The authorizer decides on a REST event
 * and must allow; the bare side is aws-jwt-verify's own verifier behind a one-line handler. Runs alternate
 * sides; the ratio is the median of the per-run ratios.
 */
async function coldStarts(
  dir: string,
  authorizer: string,
): Promise<{ authorizer: number; bare: number; ratio: number }> {
  const bare = path.join(dir, 'bare-cold.js');
  await build({
    ...esbuildOptions(),
    stdin: { resolveDir: ROOT, sourcefile: 'bare-cold.ts', loader: 'ts', contents: BARE_COLD },
    outfile: bare,
  });
  const { publicKey, privateKey } = await generateKeyPair('RS256', {
    modulusLength: 2048,
    extractable: true,
  });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  const server = await startJwksServer({ keys: [jwk] });
  const caFile = path.join(dir, 'ca.pem');
  writeFileSync(caFile, server.ca);
  const issuer = `${server.url}/realms/keygate`;
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    typ: 'Bearer',
    azp: 'keygate-web',
    aud: ['keygate-api', 'account'],
    preferred_username: 'cold',
    scope: 'openid profile email',
    realm_access: { roles: ['model-user', 'model:sentiment:invoke'] },
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: KID })
    .setIssuer(issuer)
    .setSubject('5f0c1c8e-0000-4000-8000-00000000c01d')
    .setIssuedAt(now)
    .setExpirationTime(now + 900)
    .sign(privateKey);
  const config: AuthorizerConfig = checkedAuthorizerConfig({
    ...CONFIG,
    issuers: [
      { kind: 'keycloak', issuer, allowedClients: ['keygate-web'], allowedAudiences: ['keygate-api'] },
    ],
  });
  const env = {
    ...process.env,
    [AUTHORIZER_CONFIG_ENV]: JSON.stringify(config),
    BENCH_ISSUER: issuer,
    NODE_EXTRA_CA_CERTS: caFile,
    POWERTOOLS_LOG_LEVEL: 'CRITICAL',
  };
  const sides = {
    authorizer: {
      file: authorizer,
      event: restEvent(token, 0),
      ok: 'r.policyDocument.Statement[0].Effect==="Allow"',
    },
    bare: { file: bare, event: { token }, ok: 'r.sub!==undefined' },
  };
  const run = promisify(execFile);
  const times: Record<keyof typeof sides, number[]> = { authorizer: [], bare: [] };
  try {
    for (let i = 0; i < COLD_RUNS; i++) {
      const order = Object.entries(sides) as [keyof typeof sides, (typeof sides)['bare']][];
      if (i % 2 === 1) order.reverse();
      for (const [name, side] of order) {
        const script =
          `const t=process.hrtime.bigint();require(${JSON.stringify(side.file)}).handler(${JSON.stringify(side.event)})` +
          `.then((r)=>{const ms=Number(process.hrtime.bigint()-t)/1e6;if(!(${side.ok}))process.exit(3);process.stderr.write(String(ms));});`;
        // Asynchronous: this process serves the JWKS the child fetches.
        const r = await run(process.execPath, ['-e', script], { env, encoding: 'utf8' });
        const ms = Number(r.stderr);
        if (!Number.isFinite(ms)) throw new Error(`cold start of ${name} failed: ${r.stderr}`);
        times[name].push(ms);
      }
    }
  } finally {
    await server.close();
  }
  return {
    authorizer: median(times.authorizer),
    bare: median(times.bare),
    ratio: median(times.authorizer.map((t, i) => t / times.bare[i])),
  };
}

/** `--only throughput`: the throughput rows alone (no bundle size, load, cold start or revocation tables). */
const ONLY_THROUGHPUT = process.argv.includes('--only') && process.argv.includes('throughput');

/** The throughput rows' figures, one line, for repeated runs on a busy machine. */
function throughputLine(t: Awaited<ReturnType<typeof throughput>>): string {
  return [
    `floor ${fmt(t.floor)} ops/s`,
    `bare ${fmt(t.bare)} ops/s (${fmt(t.bare / t.floor, 2)}× floor)`,
    `verifySync ${fmt(t.sync)} ops/s (${fmt(t.sync / t.bare, 2)}× bare)`,
    `fresh ${fmt(t.fresh)} ops/s (${fmt(t.freshRatio, 2)}× bare, target ≥ ${FRESH_TARGET})`,
    `repeated ${fmt(t.repeated)} ops/s (${fmt(t.repeatedRatio, 1)}× floor, target ≥ 5)`,
    `Keygate's own steps ${fmt(t.ownMicros, 1)} µs per fresh request (${FRESH_TARGET}× bare leaves ${fmt(t.budgetMicros, 1)} µs beyond verifySync)`,
    `new profile ${fmt(t.newProfile)} ops/s (${fmt(t.newProfile / t.bare, 2)}× bare)`,
    `by CPU time: fresh ${fmt(t.freshCpuRatio, 2)}× bare, repeated ${fmt(t.repeatedCpuRatio, 1)}× floor`,
  ].join('; ');
}

const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main() {
  const started = Date.now();
  const dir = mkdtempSync(path.join(tmpdir(), 'keygate-bench-'));
  try {
    const { measured, session, ...files } = await bundles(dir);
    // `--only cold`: the size, load and cold-start rows alone (no throughput rounds, no further tables).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const t = COLD_ONLY ? NO_THROUGHPUT : await throughput(require(measured) as Measured);
    if (ONLY_THROUGHPUT) {
      console.log(throughputLine(t));
      return;
    }
    const size = Object.fromEntries(Object.entries(files).map(([k, f]) => [k, statSync(f).size])) as Record<
      keyof typeof files,
      number
    >;
    const sessionSize = statSync(session).size;
    const { ms: load, vsBare: loadVsBare } = loadTimes(files);
    const cold = await coldStarts(dir, files.authorizer);

    const { freshRatio, repeatedRatio } = t;
    const loadRatio = loadVsBare.authorizer;
    const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
    const rows: string[][] = [
      ['node:crypto.verify, same RS256 token (floor)', `${fmt(t.floor)} ops/s`, '1.00× floor', '', ''],
      [
        'aws-jwt-verify, fresh tokens (bare)',
        `${fmt(t.bare)} ops/s`,
        `${fmt(t.bare / t.floor, 2)}× floor`,
        '',
        '',
      ],
      [
        "aws-jwt-verify verifySync, fresh tokens (the library's part of a fresh request)",
        `${fmt(t.sync)} ops/s`,
        `${fmt(t.sync / t.bare, 2)}× bare`,
        '',
        '',
      ],
      ['jose jwtVerify, fresh tokens', `${fmt(t.jose)} ops/s`, `${fmt(t.jose / t.bare, 2)}× bare`, '', ''],
      [
        'handler, fresh tokens',
        `${fmt(t.fresh)} ops/s`,
        `${fmt(freshRatio, 2)}× bare`,
        `≥ ${FRESH_TARGET}× bare`,
        pass(freshRatio >= FRESH_TARGET),
      ],
      [
        "handler, fresh tokens: Keygate's own steps (handler time minus verifySync's)",
        `${fmt(t.ownMicros, 1)} µs`,
        '',
        `≤ ${fmt(t.budgetMicros, 1)} µs (what ≥ ${FRESH_TARGET}× bare leaves)`,
        '',
      ],
      [
        'handler, repeated token',
        `${fmt(t.repeated)} ops/s`,
        `${fmt(repeatedRatio, 1)}× floor`,
        '≥ 5× floor',
        pass(repeatedRatio >= 5),
      ],
      [
        'handler, fresh tokens, each of a new entitlement profile (profile caches miss)',
        `${fmt(t.newProfile)} ops/s`,
        `${fmt(t.newProfile / t.bare, 2)}× bare`,
        '',
        '',
      ],
      [
        'one decision line, Powertools Logger (not used)',
        `${fmt(t.logLine)} ops/s`,
        `${fmt(t.logLine / t.floor, 1)}× floor`,
        '',
        '',
      ],
      [
        'one decision line, decision-log.ts (used)',
        `${fmt(t.leanLine)} ops/s`,
        `${fmt(t.leanLine / t.floor, 1)}× floor`,
        '',
        '',
      ],
      [
        'authorizer core bundle (index.js, loaded at every cold start), minified',
        `${fmt(size.authorizer)} B`,
        `${fmt(size.authorizer / size.bare, 2)}× bare`,
        `≤ ${fmt(CORE_BUDGET)} B`,
        pass(size.authorizer <= CORE_BUDGET),
      ],
      [
        'authorizer session module (session.js, loaded only when browser sessions are configured), minified',
        `${fmt(sessionSize)} B`,
        '',
        '',
        '',
      ],
      ['bare aws-jwt-verify + Logger bundle, minified', `${fmt(size.bare)} B`, '1.00× bare', '', ''],
      [
        'authorizer core bundle, load (no sessions configured)',
        `${fmt(load.authorizer, 1)} ms`,
        `${fmt(loadRatio, 2)}× bare`,
        '≤ 1.2× bare',
        pass(loadRatio <= 1.2),
      ],
      ['bare bundle, load', `${fmt(load.bare, 1)} ms`, '1.00× bare', '', ''],
      [
        'cold start, first decision (fresh process: load, JWKS over loopback HTTPS, verify, decide)',
        `${fmt(cold.authorizer, 1)} ms`,
        `${fmt(cold.ratio, 2)}× bare`,
        '≤ 1.15× bare',
        pass(cold.ratio <= 1.15),
      ],
      [
        'bare aws-jwt-verify, cold start, first verification',
        `${fmt(cold.bare, 1)} ms`,
        '1.00× bare',
        '',
        '',
      ],
      [
        'authorizer + Powertools Metrics (not used)',
        `${fmt(size.withMetrics / 1024, 1)} KB, ${fmt(load.withMetrics, 1)} ms`,
        `+${fmt((size.withMetrics - size.authorizer) / 1024, 1)} KB, +${fmt(load.withMetrics - load.authorizer, 1)} ms`,
        'metric filters: +0',
        '',
      ],
    ];
    const us = (opsPerSec: number) => 1e6 / opsPerSec;
    const caches = [
      ['cache', 'a hit saves (measured in this run)'],
      ['---', '---'],
      [
        'JWKS (jwks-cache.ts)',
        `a JWKS fetch: a cold start's first decision takes ${fmt(cold.authorizer, 1)} ms, a warm one ${fmt(us(t.fresh), 0)} µs`,
      ],
      [
        'verified claims (verified-claims-cache.ts)',
        `${fmt(us(t.fresh) - us(t.repeated), 0)} µs per repeated token (${fmt(us(t.fresh), 0)} → ${fmt(us(t.repeated), 1)} µs)`,
      ],
      [
        'entitlement profiles, with their answers (claims-to-principal.ts, authorize.ts)',
        `${fmt(us(t.newProfile) - us(t.fresh), 0)} µs per fresh token of a known profile (${fmt(us(t.newProfile), 0)} → ${fmt(us(t.fresh), 0)} µs)`,
      ],
      [
        'revocation list, only with `revocation` (revocation-check.ts)',
        'DynamoDB reads of a warm container: the _revocation_ table below',
      ],
    ].map((r) => `| ${r.join(' | ')} |`);
    const header = ['measure', 'result', 'ratio', 'target', ''];
    const shown = COLD_ONLY ? rows.filter((r) => !r[1].endsWith('ops/s')) : rows;
    const lines = [header, header.map(() => '---'), ...shown].map((r) => `| ${r.join(' | ')} |`);
    console.log(lines.join('\n'));
    if (COLD_ONLY) return;
    console.log(`\n${caches.join('\n')}`);
    console.log(
      `\nNode ${process.version}; ${WARMUP_ROUNDS} untimed warm-up rounds, then ${ROUNDS} interleaved rounds of ${ROUND_SIZE} fresh tokens (repeated: ${ROUND_SIZE * 20} calls), medians, ratios taken within each round; load: median of ${LOAD_RUNS} runs of one fresh process per bundle, ratios taken within each run; ${((Date.now() - started) / 1000).toFixed(1)} s.`,
    );
    console.log(await benchTokenBinding());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The revocation check's costs (docs/revocation.md), in a table of its own: the check on a warm path (the
 * list entries fresh in the container's cache) against the same handler without it, and the DynamoDB reads a
 * container makes, counted at a DynamoDB-compatible server (dynalite on 127.0.0.1, through the real SDK)
 * on a fake clock: cold, warm within the staleness bound, and after it. Latency to dynalite is printed for
 * scale only; in AWS a read costs a network round trip to DynamoDB instead.
 */
async function revocationCosts(): Promise<void> {
  const principal = {
    sub: 'bench-user',
    username: 'bench-user',
    clientId: 'keygate-web',
    issuer: ISSUER,
    tokenKind: 'keycloak-user' as const,
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
    issuedAt: Math.floor(Date.now() / 1000) - 10,
    sessionId: 'bench-sid',
    realmRoles: ['model-user'],
    clientRoles: [],
    scopes: ['openid'],
    groups: [],
  };
  const verifier = {
    verify: async () => ({ ok: true as const, principal, facts: { iss: ISSUER }, cached: true }),
  };
  const log = { decision() {}, jwksFailure() {}, configInvalid() {} };
  const base: AuthorizerConfig = {
    version: 1,
    issuers: [{ kind: 'keycloak', issuer: ISSUER, allowedClients: ['keygate-web'] }],
    routes: DEFAULT_ROUTES.map((r) => ({
      method: r.method,
      path: r.path,
      auth: r.auth,
      ...(r.requirement ? { requirement: r.requirement } : {}),
    })),
    resultCacheTtlSeconds: 0,
  };
  let ms = Date.now();
  const now = () => ms;
  const make = (store?: MemoryRevocationStore | DynamoDbRevocationStore) =>
    handlerOf({
      config: { ok: true, config: store ? { ...base, revocation: { boundSeconds: 30 } } : base },
      createVerifier: () => verifier,
      log,
      now,
      ...(store ? { revocationStore: store } : {}),
    });
  const event = restEvent('bench-token', 0);
  const plain = make();
  const checked = make(new MemoryRevocationStore());
  await checked(event);
  const warm: { plain: number; checked: number }[] = [];
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    const a = await opsPerSecond(ROUND_SIZE * 20, () => plain(event));
    const b = await opsPerSecond(ROUND_SIZE * 20, () => checked(event));
    if (round >= WARMUP_ROUNDS) warm.push({ plain: a, checked: b });
  }
  const plainOps = median(warm.map((w) => w.plain));
  const checkedOps = median(warm.map((w) => w.checked));
  const ratio = median(warm.map((w) => w.checked / w.plain));

  const server = await startDynamoDbServer();
  try {
    await server.createTable({
      TableName: 'bench-revocations',
      KeySchema: [{ AttributeName: REVOCATION_TABLE.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: REVOCATION_TABLE.partitionKey, AttributeType: 'S' }],
    });
    const store = new DynamoDbRevocationStore(server.client(), 'bench-revocations');
    const container = make(store);
    let t0 = process.hrtime.bigint();
    await container(event);
    const coldMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const coldReads = store.reads;
    const WARM_CALLS = 1000;
    t0 = process.hrtime.bigint();
    for (let i = 0; i < WARM_CALLS; i++) {
      ms += 20; // 1000 requests over 20 s: within the 30 s staleness bound
      await container(event);
    }
    const warmUs = Number(process.hrtime.bigint() - t0) / 1e3 / WARM_CALLS;
    const warmReads = store.reads - coldReads;
    ms += 11_000; // past the bound since the cold read
    t0 = process.hrtime.bigint();
    await container(event);
    const staleMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const staleReads = store.reads - coldReads - warmReads;
    const rows = [
      ['handler, repeated token, no revocation check', `${fmt(plainOps)} ops/s`, '1.00×'],
      [
        'handler, repeated token, revocation check (list entries cached)',
        `${fmt(checkedOps)} ops/s`,
        `${fmt(ratio, 2)}×`,
      ],
      [
        'cold container, first request: DynamoDB reads (BatchGetItem of sid + sub)',
        `${coldReads}`,
        `${fmt(coldMs, 1)} ms to dynalite`,
      ],
      [
        `warm container, ${WARM_CALLS} requests within the 30 s bound: DynamoDB reads`,
        `${warmReads}`,
        `${fmt(warmUs, 1)} µs per request`,
      ],
      [
        'warm container, first request after the bound: DynamoDB reads',
        `${staleReads}`,
        `${fmt(staleMs, 1)} ms to dynalite`,
      ],
    ];
    const header = ['revocation (bound 30 s, result cache off)', 'result', 'ratio / latency'];
    console.log(
      `\n${[header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n')}`,
    );
    console.log(
      `\nRevocation: ${ROUNDS} rounds of ${ROUND_SIZE * 20} calls after ${WARMUP_ROUNDS} warm-up rounds, medians, ratio within each round; reads counted at dynalite (127.0.0.1, real AWS SDK) on a fake clock.`,
    );
  } finally {
    await server.close();
  }
}

main()
  .then(() => (process.exitCode || ONLY_THROUGHPUT || COLD_ONLY ? undefined : revocationCosts()))
  .catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
