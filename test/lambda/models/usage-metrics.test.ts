import { Metrics } from '@aws-lambda-powertools/metrics';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { USAGE_NAMESPACE } from '../../../common/usage-record';
import { validateBackendConfig } from '../../../lambda/models/backend-config';
import { createHandler } from '../../../lambda/models/handler';
import { createModelInvoker } from '../../../lambda/models/model-invoker';
import { createModelStreamer } from '../../../lambda/models/model-streamer';
import { createStreamHandler } from '../../../lambda/models/stream-handler';
import { describeUsageCaller, powertoolsUsageSink } from '../../../lambda/models/usage-metrics';
import {
  collectStreamedResponse,
  localStreamingRuntime,
} from '../../../local/gateway/lambda-response-stream';
import { parseUsageLine, summarizeUsage, type UsageLine } from '../../../scripts/usage/usage-report';
import { iamEvent, keycloakEvent, tokenContext } from '../../fixtures/models/events';
import { recordingLogger } from './recording-logger';

const bedrockMock = mockClient(BedrockRuntimeClient);
afterEach(() => {
  bedrockMock.reset();
  vi.restoreAllMocks();
});

const CONFIG = validateBackendConfig({
  models: [
    { id: 'sentiment', kind: 'demo', demo: 'sentiment' },
    { id: 'haiku', kind: 'bedrock', bedrockModelId: 'anthropic.claude-3-haiku-20240307-v1:0' },
  ],
  machineCallers: [
    {
      principalArn: 'arn:aws:iam::111122223333:role/batch/batch-scorer',
      routes: ['POST /machine/models/{modelId}/invoke'],
    },
  ],
});

/** The backend with the real Powertools Metrics sink; the EMF lines it prints are captured from stdout. */
function backend() {
  const printed: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  });
  const usage = powertoolsUsageSink(
    new Metrics({ namespace: USAGE_NAMESPACE, serviceName: 'keygate-models' }),
  );
  const clients = {
    bedrock: () => new BedrockRuntimeClient({ region: 'eu-west-1' }),
    sagemaker: () => new SageMakerRuntimeClient({ region: 'eu-west-1' }),
  };
  let clock = 0;
  const now = () => (clock += 20);
  const handler = createHandler({
    config: CONFIG,
    invoke: createModelInvoker(clients),
    logger: recordingLogger(),
    usage,
    now,
  });
  const stream = createStreamHandler({
    config: CONFIG,
    stream: createModelStreamer(clients),
    logger: recordingLogger(),
    usage,
    now,
    httpResponseStream: localStreamingRuntime.HttpResponseStream,
  });
  const lines = () =>
    printed
      .join('')
      .split('\n')
      .filter((l) => l.includes('"_aws"'));
  return { handler, stream, lines };
}

const ALICE = tokenContext({
  sub: '11111111-1111-4111-8111-111111111111',
  username: 'alice',
  realmRoles: 'model:sentiment:invoke model:haiku:invoke',
});
const BATCH = tokenContext({
  sub: '22222222-2222-4222-8222-222222222222',
  username: 'service-account-batch-scorer',
  clientId: 'batch-scorer',
  tokenKind: 'keycloak-service-account',
  realmRoles: '',
  clientRoles: 'keygate-api:model:sentiment:invoke',
});

/** Bedrock's answer to every call: 'Hi', 12 input and 3 output tokens. */
const HI_ANSWER = {
  output: { message: { role: 'assistant' as const, content: [{ text: 'Hi' }] } },
  stopReason: 'end_turn' as const,
  usage: { inputTokens: 12, outputTokens: 3, totalTokens: 15 },
  metrics: { latencyMs: 100 },
};

describe('usage lines (Powertools Metrics, embedded metric format)', () => {
  test('one EMF line per invocation: model and caller kind as dimensions, the caller as properties', async () => {
    bedrockMock.on(ConverseCommand).resolves(HI_ANSWER);
    const b = backend();
    const res = await b.handler(
      keycloakEvent('rest', { modelId: 'haiku', context: ALICE, body: '{"input":"hello"}' }),
    );
    expect(res.statusCode).toBe(200);
    const lines = b.lines();
    expect(lines).toHaveLength(1);
    const emf = JSON.parse(lines[0]) as Record<string, unknown> & { _aws: { CloudWatchMetrics: unknown[] } };
    expect(emf._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'Keygate',
        Dimensions: [['service', 'model', 'callerKind']],
        Metrics: [
          { Name: 'Invocations', Unit: 'Count' },
          { Name: 'Errors', Unit: 'Count' },
          { Name: 'Latency', Unit: 'Milliseconds' },
          { Name: 'InputTokens', Unit: 'Count' },
          { Name: 'OutputTokens', Unit: 'Count' },
        ],
      },
    ]);
    expect(emf).toMatchObject({
      service: 'keygate-models',
      model: 'haiku',
      callerKind: 'person',
      callerId: '11111111-1111-4111-8111-111111111111',
      callerName: 'alice',
      outcome: 'success',
      Invocations: 1,
      Errors: 0,
      InputTokens: 12,
      OutputTokens: 3,
    });
    // No input, output or token text in the line.
    expect(lines[0]).not.toContain('hello');
  });

  test("the usage report reads the backend's own lines: who used how much of which model", async () => {
    bedrockMock.on(ConverseCommand).resolves(HI_ANSWER);
    const b = backend();
    const body = '{"input":"What a great day"}';
    // GIVEN alice: 2 Bedrock calls and 1 streamed demo answer; the batch service account: 1 demo call;
    // an IAM role: 1 demo call; and a refused call, which reaches no model and records nothing
    await b.handler(keycloakEvent('rest', { modelId: 'haiku', context: ALICE, body }));
    await b.handler(keycloakEvent('http', { modelId: 'haiku', context: ALICE, body }));
    await collectStreamedResponse((rs) =>
      b.stream(
        keycloakEvent('rest', {
          method: 'POST',
          route: '/models/{modelId}/stream',
          modelId: 'sentiment',
          context: ALICE,
          body,
        }),
        rs,
      ),
    );
    await b.handler(keycloakEvent('rest', { modelId: 'sentiment', context: BATCH, body }));
    await b.handler(
      iamEvent('rest', {
        modelId: 'sentiment',
        userArn: 'arn:aws:sts::111122223333:assumed-role/batch-scorer/job-42',
        body,
      }),
    );
    const refused = await b.handler(keycloakEvent('rest', { modelId: 'haiku', context: BATCH, body }));
    expect(refused.statusCode).toBe(403);
    // WHEN the report reads the printed lines
    const parsed = b.lines().map(parseUsageLine);
    expect(parsed).toHaveLength(5);
    const rows = summarizeUsage(parsed.filter((l): l is UsageLine => l !== undefined));
    // THEN
    expect(
      rows.map((r) => [
        r.callerName,
        r.callerKind,
        r.model,
        r.invocations,
        r.errors,
        r.inputTokens,
        r.outputTokens,
      ]),
    ).toEqual([
      ['alice', 'person', 'haiku', 2, 0, 24, 6],
      ['alice', 'person', 'sentiment', 1, 0, 4, 8],
      ['batch-scorer', 'iam', 'sentiment', 1, 0, 0, 0],
      ['batch-scorer', 'service-account', 'sentiment', 1, 0, 0, 0],
    ]);
    expect(rows.find((r) => r.callerKind === 'iam')?.callerId).toBe(
      'arn:aws:sts::111122223333:assumed-role/batch-scorer',
    );
  });

  test.each([
    [
      { type: 'token', tokenKind: 'keycloak-user', username: 'alice', clientId: 'web', sub: 's1' },
      'person',
      's1',
      'alice',
    ],
    [{ type: 'token', tokenKind: 'cognito', username: '', clientId: 'web', sub: 's2' }, 'person', 's2', 's2'],
    [
      { type: 'token', tokenKind: 'keycloak-service-account', username: 'sa', clientId: 'batch', sub: 's3' },
      'service-account',
      's3',
      'batch',
    ],
    [{ type: 'token', tokenKind: '', username: '', clientId: 'cli', sub: 's4' }, 'token', 's4', 'cli'],
    [
      {
        type: 'iam',
        principalArn: 'arn:aws:iam::111122223333:user/ops/carol',
        accountId: '111122223333',
        callerId: 'x',
      },
      'iam',
      'arn:aws:iam::111122223333:user/ops/carol',
      'carol',
    ],
  ] as const)('caller %o is %s %s named %s', (caller, kind, id, name) => {
    const c = { realmRoles: [], clientRoles: [], scopes: [], groups: [], issuer: 'i', ...caller } as never;
    expect(describeUsageCaller(c)).toEqual({ kind, id, name });
  });
});
