/**
 * Usage plans of a synthesized stage served from its assembly, as `npm start` serves it: a quota ends in
 * API Gateway's 429 `Limit Exceeded` under a gateway clock that stands still; a hand-edited plan the
 * reader cannot enforce turns its API's key-requiring methods into 501s that name the field, while the
 * methods it does not cover still run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import type { StageConfig } from '../../common/app-config';
import { readAssembly } from '../../local/assembly/read-assembly';
import { serveAssembly } from '../../local/assembly/serve-assembly';
import type { ServedAssembly } from '../../local/assembly/serve-assembly';
import { call, userTokens } from '../../local/callers';
import type { GatewayRecord } from '../../local/gateway/local-gateway';
import { serveStage } from '../../local/serve-stage';
import type { ServedStage } from '../../local/serve-stage';
import { LOCAL_MACHINE_ROLE } from '../../local/stage-assembly';
import { callerStack } from '../support/served-callers';

const STAGE: StageConfig = {
  ...DEFAULT_APP_CONFIG.stages.dev,
  apis: { http: false, rest: true },
  usageTiers: {
    tiers: { free: { rateLimit: 1, burstLimit: 10, quota: { limit: 2, period: 'DAY' } } },
    defaultTier: 'free',
  },
};

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-usage-plans-'));
let served: ServedStage;
const records: GatewayRecord[] = [];

beforeAll(async () => {
  const frozen = Date.now();
  served = await serveStage({
    stage: STAGE,
    buildLambdas: false,
    now: () => frozen,
    onRequest: (_api, r) => records.push(r),
  });
});
afterAll(async () => {
  await served?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('served stage with a quota', () => {
  test("alice's third call of the day is answered 429 Limit Exceeded by the gateway itself", async () => {
    const stack = callerStack(served, 'GET /me');
    const token = (await userTokens(stack, 'alice')).access_token;
    records.length = 0;
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await call(stack, 'GET', '/me', { token }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(await answers[2].json()).toMatchObject({ message: 'Limit Exceeded' });
    expect(records.map((r) => r.reason)).toEqual(['policy_allow', 'policy_allow', 'usage_quota_exceeded']);
  });
});

test('without roleArn assignments the IAM routes need no key, and the machine role reads none', () => {
  expect(served.usage.keyForRole(LOCAL_MACHINE_ROLE)).toBeUndefined();
  const iamRoutes = served.stack.apis.flatMap((a) => a.routes).filter((r) => r.auth === 'iam');
  expect(iamRoutes.length).toBeGreaterThan(0);
  expect(iamRoutes.filter((r) => r.apiKeyRequired)).toEqual([]);
});

describe('an assembly whose usage plan was edited by hand', () => {
  let spoiled: ServedAssembly;
  let planId: string;

  beforeAll(async () => {
    const dir = path.join(work, 'spoiled');
    fs.cpSync(served.assembly, dir, { recursive: true });
    const file = path.join(dir, `${served.stack.name}.template.json`);
    const t = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const plans = Object.keys(t.Resources).filter(
      (k) => t.Resources[k].Type === 'AWS::ApiGateway::UsagePlan',
    );
    expect(plans).toHaveLength(1);
    planId = plans[0];
    t.Resources[planId].Properties.Throttle = { RateLimit: 'fast', BurstLimit: 10 };
    fs.writeFileSync(file, JSON.stringify(t));
    spoiled = await serveAssembly({
      app: dir,
      stack: served.stack.name,
      // The machine caller as serveStage names it: the role the stage grants its IAM routes.
      machineCredential: {
        callerArn: 'arn:aws:sts::000000000000:assumed-role/keygate-local-machine/local',
        callerId: 'AROALOCALKEYGATEMACH:local',
      },
    });
  });
  afterAll(async () => {
    await spoiled?.close();
  });

  const problem = () =>
    `usage plan ${planId}: Throttle.RateLimit must be a number of requests per second (got "fast")`;

  test('the reader names the plan and the field on each method that needs a key', () => {
    const stack = readAssembly(path.join(work, 'spoiled'), served.stack.name);
    const routes = stack.apis.flatMap((a) => a.routes);
    const keyed = routes.filter((r) => r.apiKeyRequired);
    expect(keyed.length).toBeGreaterThan(0);
    expect(keyed.map((r) => r.unsupported)).toEqual(keyed.map(() => problem()));
    expect(routes.filter((r) => !r.apiKeyRequired && r.unsupported !== undefined)).toEqual([]);
  });

  test('a method that needs a key answers 501 with the problem; an IAM route without one still runs', async () => {
    const rest = spoiled.apis[0];
    const me = await fetch(`${rest.url}/me`);
    expect(me.status).toBe(501);
    expect(await me.json()).toEqual({ message: `Not run locally: ${problem()}` });
    const machine = await call(
      { issuer: spoiled.issuer!, stage: STAGE, gateway: { url: rest.url }, region: spoiled.stack.region },
      'GET',
      '/machine/models',
      { iam: spoiled.iam.machine },
    );
    expect(machine.status).toBe(200);
    expect(spoiled.usage.plans.map((p) => p.problem)).toEqual([problem()]);
  });
});
