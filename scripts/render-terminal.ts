/**
 * Renders two terminal captures for the docs, each from real output, never typed by hand:
 *
 * - docs/images/streamed-answer.png: a streamed model answer through the local gateway. The default
 *   stage's REST API is served from its synthesized app (as `npm run demo -- --api rest` does), a test user
 *   signs in, and the events of POST /models/<demo model>/stream are printed as they arrive, as `curl -N`
 *   shows them.
 * - docs/images/usage-table.png: the table `npm run usage -- --file <path>` prints, over the EMF usage
 *   lines the model backend's handler (lambda/models, with its Powertools Metrics sink) wrote to stdout for
 *   a few callers and demo models.
 *
 *   npm run docs:terminal                 (writes both into docs/images/)
 *   npm run docs:terminal -- <folder>     (anywhere else)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { loadStage } from '../cli/stage';
import { USAGE_NAMESPACE } from '../common/usage-record';
import { MODELS_SERVICE_NAME } from '../common/service-names';
import { validateBackendConfig } from '../lambda/models/backend-config';
import { createHandler } from '../lambda/models/handler';
import { createModelInvoker } from '../lambda/models/model-invoker';
import { powertoolsUsageSink } from '../lambda/models/usage-metrics';
import { userTokens } from '../local/callers';
import { serveDemoStage } from '../local/demo-app';
import type { IntegrationAuthorizer } from '../local/gateway/api-events';
import { proxyEventRest } from '../local/gateway/api-events';
import { runUsage } from './usage';
import { writePng } from './pictures/svg-picture';
import { terminalSvg, type TerminalOptions } from './pictures/terminal-svg';

const INPUT = 'I love this great product, but the setup was slow.';

/** The raw events of a streamed answer, in the order and pieces the gateway passed them on. */
export async function streamedAnswer(): Promise<TerminalOptions> {
  const { name, stage } = loadStage({});
  const route = stage.routes.find((r) => r.stream === true);
  const model = stage.models.find((m) => m.kind === 'demo')?.id;
  if (!route || !model) throw new Error(`stage '${name}' has no streaming route or no demo model`);
  const stack = await serveDemoStage({ name }, stage, 'rest');
  try {
    const person = 'alice';
    const token = (await userTokens(stack, person)).access_token;
    const url = `${stack.gateway.url}${route.path.replace('{modelId}', model)}`;
    const body = JSON.stringify({ input: INPUT });
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    if (!res.body || res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
    const decoder = new TextDecoder();
    let output = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      output += decoder.decode(chunk, { stream: true });
    }
    return {
      title: `a streamed answer through the local gateway (stage ${name}, REST API)`,
      command: `curl -N -X POST ${url} -H "authorization: Bearer $ALICE_TOKEN" -d '${body}'`,
      output,
    };
  } finally {
    await stack.close();
  }
}

const REST_API = {
  type: 'rest',
  region: 'eu-west-1',
  accountId: '111122223333',
  apiId: 'a1b2c3d4e5',
  stage: 'prod',
} as const;

/** A Keycloak caller's authorizer context, as the Keygate authorizer writes it. */
function keycloakCaller(
  sub: string,
  username: string,
  clientId: string,
  roles: { realm?: string; client?: string },
): IntegrationAuthorizer {
  return {
    kind: 'lambda',
    principalId: sub,
    context: {
      sub,
      username,
      clientId,
      issuer: 'https://keycloak.example.com/realms/keygate',
      tokenKind: username.startsWith('service-account-') ? 'keycloak-service-account' : 'keycloak-user',
      realmRoles: roles.realm ?? '',
      clientRoles: roles.client ?? '',
      scopes: 'openid',
      groups: '',
    },
  };
}

const ALICE = keycloakCaller('11111111-1111-4111-8111-111111111111', 'alice', 'keygate-web', {
  realm: 'model:sentiment:invoke model:keywords:invoke',
});
const BOB = keycloakCaller('33333333-3333-4333-8333-333333333333', 'bob', 'keygate-web', {
  realm: 'model:sentiment:invoke',
});
const BATCH = keycloakCaller(
  '22222222-2222-4222-8222-222222222222',
  'service-account-batch-scorer',
  'batch-scorer',
  { client: 'keygate-api:model:sentiment:invoke keygate-api:model:keywords:invoke' },
);
const REPORT_ROLE = 'arn:aws:iam::111122223333:role/nightly-report';
const REPORT: IntegrationAuthorizer = {
  kind: 'iam',
  identity: {
    accessKey: 'ASIAEXAMPLEKEY',
    accountId: '111122223333',
    callerId: 'AROAEXAMPLEROLEID:run-42',
    userArn: 'arn:aws:sts::111122223333:assumed-role/nightly-report/run-42',
  },
};

/** Who calls which model how often, through which route. */
const CALLS: readonly { who: IntegrationAuthorizer; model: string; times: number; iam?: boolean }[] = [
  { who: ALICE, model: 'sentiment', times: 3 },
  { who: ALICE, model: 'keywords', times: 2 },
  { who: BOB, model: 'sentiment', times: 1 },
  { who: BATCH, model: 'sentiment', times: 6 },
  { who: BATCH, model: 'keywords', times: 4 },
  { who: REPORT, model: 'keywords', times: 2, iam: true },
];

/** The EMF usage lines the model backend's handler prints to stdout for CALLS. */
export async function backendUsageLines(): Promise<string[]> {
  const handler = createHandler({
    config: validateBackendConfig({
      models: [
        { id: 'sentiment', kind: 'demo', demo: 'sentiment' },
        { id: 'keywords', kind: 'demo', demo: 'keywords' },
      ],
      machineCallers: [{ principalArn: REPORT_ROLE, routes: ['POST /machine/models/{modelId}/invoke'] }],
    }),
    // Demo models only: no AWS client is ever asked for.
    invoke: createModelInvoker({
      bedrock: () => Promise.reject(new Error('no Bedrock model here')),
      sagemaker: () => Promise.reject(new Error('no SageMaker model here')),
    }),
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    usage: powertoolsUsageSink(new Metrics({ namespace: USAGE_NAMESPACE, serviceName: MODELS_SERVICE_NAME })),
  });
  const printed: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  let n = 0;
  try {
    for (const call of CALLS) {
      const resource = call.iam ? '/machine/models/{modelId}/invoke' : '/models/{modelId}/invoke';
      const rawPath = resource.replace('{modelId}', call.model);
      for (let i = 0; i < call.times; i++) {
        const body = Buffer.from(JSON.stringify({ input: INPUT }));
        const headers = [['content-type', 'application/json']] as const;
        const event = proxyEventRest(
          REST_API,
          {
            method: 'POST',
            rawPath,
            rawQuery: '',
            headers,
            body,
            sourceIp: '198.51.100.7',
            requestId: `req-${++n}`,
            timeEpoch: Date.now(),
            host: 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com',
          },
          { routeKey: `POST ${resource}`, resource, params: { modelId: call.model } },
          headers,
          call.who,
        );
        const res = await handler(event);
        if (res.statusCode !== 200) throw new Error(`${rawPath}: ${res.statusCode} ${res.body}`);
      }
    }
  } finally {
    process.stdout.write = write;
  }
  return printed
    .join('')
    .split('\n')
    .filter((l) => l.includes('"_aws"'));
}

/** What `npm run usage -- --file <path>` prints over the backend's lines. */
export async function usageTable(): Promise<TerminalOptions> {
  const dir = mkdtempSync(path.join(tmpdir(), 'keygate-usage-picture-'));
  try {
    const file = path.join(dir, 'models-log.jsonl');
    writeFileSync(file, `${(await backendUsageLines()).join('\n')}\n`);
    let output = '';
    const code = await runUsage(['--since', '24h', '--file', file], {
      out: (s) => void (output += s),
      err: (s) => void (output += s),
      now: Date.now,
      readFile: (p) => readFileSync(p, 'utf8'),
      cloudWatch: () => Promise.reject(new Error('no CloudWatch Logs call here')),
    });
    if (code !== 0) throw new Error(`npm run usage exited with ${code}: ${output}`);
    return {
      title: "usage per caller and model, from the model backend's log lines",
      command: 'npm run usage -- --since 24h --file models-log.jsonl',
      output,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const folder = process.argv[2] ?? path.join(__dirname, '..', 'docs', 'images');
  const pictures = [
    { file: 'usage-table.png', capture: usageTable },
    { file: 'streamed-answer.png', capture: streamedAnswer },
  ];
  for (const p of pictures) {
    const layout = terminalSvg(await p.capture());
    const target = path.join(folder, p.file);
    const bytes = writePng(layout.svg, target);
    console.log(`wrote ${target} (${layout.lines.length} lines, ${bytes} bytes)`);
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
