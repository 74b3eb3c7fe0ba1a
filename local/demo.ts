/**
 * `npm run demo`: serves the stage's synthesized app on free loopback ports (as `npm start` does: the
 * app's own authorizer and backend from the assembly), walks through the kinds of caller over the stage's
 * routes, and prints caller × route → status and reason. Then shows the authorizer result cache and a
 * step-up refusal and a usage tier's 429 at work (quota-demo.ts). See USAGE.
 */
import { printStream } from '../client/cli';
import { answerHelp, parseCli } from '../cli/cli-args';
import { loadStage } from '../cli/stage';
import type { StageConfig } from '../common/app-config';
import { meetsRequirement } from '../common/route-model';
import { formatTable, stagePrincipals } from './access-matrix';
import { quotaDemo } from './quota-demo';
import { stepUpDemo } from './step-up-demo';
import { call, serviceAccountToken, userTokens } from './callers';
import type { CallOptions } from './callers';
import { serveDemoStage } from './demo-app';
import type { DemoContext, DemoStack } from './demo-app';
import { passwordsOf, realmSecrets } from './stage-assembly';
import type { ApiType } from './gateway/api-events';
import { adminFromArgs, openKeycloakForCli } from './keycloak-realm';

const USAGE = `
npm run demo [-- options]: the stack on free loopback ports; a person with the role, a person without it,
a service account, an IAM principal with and without the grant, an expired token (built-in issuer only),
a refresh token and no credentials call each route of the stage; prints caller x route -> status and
reason, then the authorizer result cache at work, a step-up refusal with its challenge and a usage tier's
429 (both REST API).

  --stage <name>            stage of the app config (default: its defaultStage, else dev)
  --config <file>           app config JSON (default: the keygate context of ./cdk.json, else the built-in one)
  --api http|rest           API Gateway flavour to emulate (default: http)
  --keycloak <realm URL>    a real Keycloak realm instead of the built-in issuer (needs --admin-user and
                            --admin-password-env: the demo provisions the stage's realm and its test users)
  --keycloak local          start the project's Keycloak fixture and use it
  --admin-user <name>       admin of the Keycloak given by URL
  --admin-password-env <VAR>  environment variable holding that admin's password
  --help                    this text
`;

interface Caller {
  readonly name: string;
  readonly options: CallOptions;
}

/** Concrete requests for the stage's routes: bound `{modelId}` gets the first model, POSTs a demo body. */
function demoRequests(
  stage: StageConfig,
  api: ApiType,
): { label: string; method: string; path: string; auth: string; body?: string }[] {
  const model = stage.models[0]?.id ?? 'demo';
  return (
    stage.routes
      // Streaming routes exist on the REST API only.
      .filter((r) => r.method !== 'ANY' && (api === 'rest' || r.stream !== true))
      .map((r) => {
        const path = r.path.replace(/\{modelId\}/g, model).replace(/\{[^}]+\}/g, 'x');
        return {
          label: `${r.method} ${path}`,
          method: r.method,
          auth: r.auth,
          path,
          body:
            r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH'
              ? JSON.stringify({ input: 'I love this great product' })
              : undefined,
        };
      })
  );
}

/** A person who holds what a route needs, and one who does not (from the stage's test users). */
function pickPeople(stage: StageConfig): { withRole?: string; withoutRole?: string } {
  const people = stagePrincipals(stage).filter((p) => !p.name.startsWith('service-account-'));
  const model = stage.models[0]?.id ?? 'demo';
  const invoke = stage.routes.find(
    (r) => r.auth === 'keycloak' && r.method === 'POST' && r.path.includes('{modelId}'),
  );
  const can = (p: (typeof people)[number]) =>
    meetsRequirement(invoke?.requirement, p.principal, { modelId: model });
  return { withRole: people.find(can)?.name, withoutRole: people.find((p) => !can(p))?.name };
}

async function callers(stack: DemoStack): Promise<Caller[]> {
  const { stage } = stack;
  const out: Caller[] = [];
  const { withRole, withoutRole } = pickPeople(stage);
  let refresh: string | undefined;
  if (withRole) {
    const t = await userTokens(stack, withRole);
    refresh = t.refresh_token;
    out.push({ name: `person with the role (${withRole})`, options: { token: t.access_token } });
  }
  if (withoutRole) {
    out.push({
      name: `person without it (${withoutRole})`,
      options: { token: (await userTokens(stack, withoutRole)).access_token },
    });
  }
  const sa = stage.keycloak.serviceAccounts?.[0];
  if (sa) {
    out.push({
      name: `service account (${sa.clientId})`,
      options: { token: (await serviceAccountToken(stack, sa.clientId)).access_token },
    });
  }
  out.push({ name: 'IAM role, granted', options: { iam: stack.iam.machine } });
  out.push({ name: 'IAM user, not granted', options: { iam: stack.iam.outsider } });
  // Only the built-in issuer signs arbitrary claims; a real Keycloak issues no expired token on request.
  const mint = stack.issuer.mint;
  if (mint) {
    out.push({
      name: 'expired token',
      options: { token: await mint({ username: withRole ?? withoutRole, expiresIn: -600 }) },
    });
  }
  if (refresh) out.push({ name: 'refresh token', options: { token: refresh } });
  out.push({ name: 'no credentials', options: {} });
  return out;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  answerHelp(argv, USAGE);
  const args = parseCli(argv, {
    stage: { type: 'string' },
    config: { type: 'string' },
    api: { type: 'string' },
    keycloak: { type: 'string' },
    'admin-user': { type: 'string' },
    'admin-password-env': { type: 'string' },
  });
  const api = (args.api ?? 'http') as ApiType;
  if (api !== 'http' && api !== 'rest') throw new Error(`--api must be 'http' or 'rest', got '${args.api}'`);
  const { name, stage } = loadStage(args);
  const keycloak = args.keycloak
    ? await openKeycloakForCli({
        target: args.keycloak,
        stage,
        admin: adminFromArgs(args['admin-user'], args['admin-password-env']),
        testPassword: process.env.KEYGATE_TEST_PASSWORD,
      })
    : undefined;
  try {
    if (args.keycloak && args.keycloak !== 'local' && !keycloak?.options.provision) {
      throw new Error(
        '--keycloak <realm URL>: the demo signs its test users in, so it provisions the realm: add --admin-user and --admin-password-env',
      );
    }
    const password = process.env.KEYGATE_TEST_PASSWORD;
    const passwords = keycloak?.passwords ?? (password ? passwordsOf(stage, password) : undefined);
    const secrets = await realmSecrets(keycloak, stage, password, undefined);
    const ctx: DemoContext = {
      name,
      ...(keycloak ? { keycloak } : {}),
      ...(passwords ? { passwords } : {}),
      ...(secrets ? { secrets } : {}),
    };
    await walkThrough(stage, api, ctx);
  } finally {
    await keycloak?.close();
  }
}

async function walkThrough(stage: StageConfig, api: ApiType, ctx: DemoContext): Promise<void> {
  const { name } = ctx;
  const reasons = new Map<string, string>();
  // Caching off for the walk-through, so every cell shows the authorizer's own reason.
  const stack = await serveDemoStage(ctx, stage, api, {
    cacheTtlSeconds: 0,
    onRequest: (_api, r) => reasons.set(r.requestId, r.authorizerReason ?? r.reason),
  });
  try {
    const requests = demoRequests(stage, api);
    const who = await callers(stack);
    const rows: string[][] = [];
    for (const c of who) {
      const row = [c.name];
      for (const r of requests) {
        const res = await call(stack, r.method, r.path, { ...c.options, body: r.body });
        const id = String(res.headers['apigw-requestid'] ?? res.headers['x-amzn-requestid'] ?? '');
        row.push(`${res.status} ${reasons.get(id) ?? ''}`.trim());
      }
      rows.push(row);
    }
    console.log(
      `\nKeygate demo — stage '${name}', ${api === 'http' ? 'HTTP API' : 'REST API'}, issuer ${stack.issuer.issuer}\n`,
    );
    console.log(formatTable(['caller \\ route', ...requests.map((r) => r.label)], rows));
    console.log(
      "\nstatus + reason: the authorizer's reason code on token routes (allowed, route_forbidden, token_*)," +
        "\nthe gateway's otherwise (identity_source_missing, iam_allow, iam_not_authorized, sigv4_*).",
    );
    await streamDemo(stack, stage, api);
  } finally {
    await stack.close();
  }
  await cacheDemo(stage, api, ctx);
  await stepUpDemo(stage, ctx);
  await quotaDemo(stage, ctx);
}

/** A streamed answer, printed word by word as the gateway passes the events on. */
async function streamDemo(stack: DemoStack, stage: StageConfig, api: ApiType): Promise<void> {
  const route = stage.routes.find((r) => r.stream === true);
  const person = pickPeople(stage).withRole;
  const model = stage.models.find((m) => m.kind === 'demo')?.id;
  if (!route || !person || !model) return;
  if (api !== 'rest') {
    console.log(
      '\nStreamed answers: REST API only (HTTP APIs cannot stream); run `npm run demo -- --api rest`.',
    );
    return;
  }
  const token = (await userTokens(stack, person)).access_token;
  const path = route.path.replace('{modelId}', model);
  console.log(`\nStreamed answer — ${person}: POST ${path}`);
  const res = await fetch(`${stack.gateway.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ input: 'I love this great product, but the setup was slow.' }),
  });
  if (!res.body || res.status !== 200) {
    console.log(`  ${res.status} ${await res.text()}`);
    return;
  }
  process.stdout.write('  ');
  await printStream(res.body, {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stdout.write(`  ${t}`),
  });
}

/** Same token over several routes with caching on: the authorizer runs once, its policy covers them all. */
async function cacheDemo(stage: StageConfig, api: ApiType, ctx: DemoContext): Promise<void> {
  let invocations = 0;
  const stack = await serveDemoStage(ctx, stage, api, { onAuthorizerInvoked: () => invocations++ });
  // The stage's TTL, as the constructs default it.
  const ttl = stage.authorizer?.cacheTtlSeconds ?? 300;
  try {
    const person = pickPeople(stage).withRole;
    if (!person || ttl === 0) return;
    const token = (await userTokens(stack, person)).access_token;
    const routes = demoRequests(stage, api).filter((r) => r.auth === 'keycloak');
    let n = 0;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      for (const r of routes) {
        statuses.push((await call(stack, r.method, r.path, { token, body: r.body })).status);
        n++;
      }
    }
    console.log(
      `\nResult cache (TTL ${ttl} s): ${n} requests by ${person} over ${routes.length} routes → authorizer invoked ${invocations} time(s); statuses ${[...new Set(statuses)].join('/')}.`,
    );
  } finally {
    await stack.close();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
