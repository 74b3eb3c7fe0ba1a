import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it, test } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../../common/app-config';
import { USAGE_INSIGHTS_QUERY } from '../../../common/usage-record';
import { Requirement } from '../../../lib/api/route-auth';
import { Model } from '../../../lib/backends/model';
import { ModelBackend, type ModelBackendProps } from '../../../lib/backends/model-backend';
import { loadBackendConfig } from '../../../lambda/models/backend-config';
import { expectValidationError } from '../validation';

const ENV = { account: '111122223333', region: 'eu-west-1' };

function stack(): Stack {
  return new Stack(new App(), 'Test', { env: ENV });
}

describe('ModelBackend', () => {
  // One synth (esbuild bundling is slow); every behaviour below reads this template.
  let template: Template;
  let configJson: string;
  let nagReport: string | undefined;
  let bundleDir: string;
  beforeAll(() => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-backend-')) });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const s = new Stack(app, 'Test', { env: ENV });
    const caller = iam.Role.fromRoleArn(s, 'Caller', 'arn:aws:iam::111122223333:role/batch/scorer');
    new ModelBackend(s, 'Backend', {
      models: [
        Model.demo('sentiment', 'sentiment', 'Lexicon sentiment'),
        Model.bedrock('haiku', 'anthropic.claude-3-haiku-20240307-v1:0'),
        Model.bedrock('haiku-again', 'anthropic.claude-3-haiku-20240307-v1:0'),
        Model.sagemaker('summarizer', 'My-Summarizer-1'),
      ],
      machineCallers: [{ role: caller, routes: ['POST /machine/models/{modelId}/invoke'] }],
      logRetention: logs.RetentionDays.ONE_WEEK,
    });
    try {
      app.synth();
    } catch (e) {
      // cdk-nag findings fail the synth.
      nagReport = (e as Error).message;
    }
    template = Template.fromStack(s);
    const fns = template.findResources('AWS::Lambda::Function');
    const fn = Object.values(fns)[0] as {
      Properties: { Environment: { Variables: Record<string, unknown> }; Code: { S3Key: string } };
    };
    configJson = fn.Properties.Environment.Variables.KEYGATE_MODELS_CONFIG as string;
    bundleDir = path.join(app.outdir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
  });

  test('passes the cdk-nag AwsSolutions checks', () => {
    expect(nagReport).toBeUndefined();
  });

  test('runs Node 22 on arm64 with source maps enabled', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 29,
      MemorySize: 512,
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }) },
    });
  });

  /** Runs the bundle in a separate Node.js process the way Lambda loads it: require(), no loader, no TypeScript. */
  function invokeBundle(
    event: unknown,
    env: Record<string, string> = {},
  ): { statusCode: number; body: string } {
    const script =
      `require(${JSON.stringify(path.join(bundleDir, 'index.js'))}).handler(${JSON.stringify(event)})` +
      `.then((r) => process.stdout.write('RESULT' + JSON.stringify(r)))`;
    const out = execFileSync(process.execPath, ['-e', script], {
      env: { PATH: process.env.PATH, KEYGATE_MODELS_CONFIG: configJson, AWS_REGION: 'eu-west-1', ...env },
    }).toString();
    return JSON.parse(out.slice(out.indexOf('RESULT') + 6)) as { statusCode: number; body: string };
  }

  function invokeEvent(modelId: string, role: string) {
    return {
      version: '2.0',
      routeKey: 'POST /models/{modelId}/invoke',
      pathParameters: { modelId },
      body: '{"input":"fast and reliable"}',
      isBase64Encoded: false,
      requestContext: {
        requestId: 'bundle-check',
        http: { method: 'POST', path: `/models/${modelId}/invoke` },
        authorizer: {
          lambda: { sub: 'u-1', issuer: 'https://sso.example.com/realms/keygate', realmRoles: role },
        },
      },
    };
  }

  test('the bundle is one minified CommonJS file with a source map that runs a demo model', () => {
    expect(fs.readdirSync(bundleDir).sort()).toEqual(['index.js', 'index.js.map']);
    const result = invokeBundle(invokeEvent('sentiment', 'model:sentiment:invoke'));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ modelId: 'sentiment', output: { label: 'positive' } });
  });

  test('the bundle loads the Bedrock client on first use and maps a failed call to 502', () => {
    // Nothing listens on port 9: the call fails at once, after the SDK module was loaded and the command sent.
    const result = invokeBundle(invokeEvent('haiku', 'model:haiku:invoke'), {
      AWS_ACCESS_KEY_ID: 'AKIDBUNDLECHECK00001',
      AWS_SECRET_ACCESS_KEY: 'bundle-check-secret',
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: 'http://127.0.0.1:9',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    expect(result.statusCode).toBe(502);
    expect(JSON.parse(result.body)).toMatchObject({
      error: 'model_failed',
      message: 'the bedrock model call failed',
    });
  });

  test('writes a configuration the function accepts', () => {
    const loaded = loadBackendConfig({ KEYGATE_MODELS_CONFIG: configJson });
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.config.models.map((m) => m.id)).toEqual([
      'sentiment',
      'haiku',
      'haiku-again',
      'summarizer',
    ]);
    expect(loaded.config.machineCallers).toEqual([
      {
        principalArn: 'arn:aws:iam::111122223333:role/batch/scorer',
        routes: ['POST /machine/models/{modelId}/invoke'],
      },
    ]);
    expect(loaded.config.limits).toEqual({ maxBodyBytes: 65536, maxInputChars: 20000 });
    expect(loaded.config.logContent).toBe(false);
  });

  test('grants bedrock:InvokeModel on exactly the foundation model and sagemaker:InvokeEndpoint on exactly the endpoint', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument
          .Statement,
    );
    const json = JSON.stringify(statements);
    expect(statements).toContainEqual({
      Action: 'bedrock:InvokeModel',
      Effect: 'Allow',
      Resource: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
          ],
        ],
      },
    });
    expect(statements).toContainEqual({
      Action: 'sagemaker:InvokeEndpoint',
      Effect: 'Allow',
      Resource: {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:111122223333:endpoint/my-summarizer-1'],
        ],
      },
    });
    // Nothing broader: no wildcard resources, no other bedrock or sagemaker actions.
    expect(json).not.toMatch(/"Resource":"\*"/);
    const actions = statements.flatMap((st) => [(st as { Action: string | string[] }).Action].flat());
    expect(actions.filter((a) => /^(bedrock|sagemaker):/.test(a))).toEqual([
      'bedrock:InvokeModel',
      'sagemaker:InvokeEndpoint',
    ]);
  });

  test('uses its own role without managed policies', () => {
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  test('keeps logs for the given retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });
});

describe('ModelBackend usage query', () => {
  test('saves the usage Logs Insights query over its log group, the same query npm run usage documents', () => {
    const s = stack();
    new ModelBackend(s, 'B', {
      models: [Model.demo('sentiment', 'sentiment')],
      usageQueryName: 'keygate/prod',
    });
    Template.fromStack(s).hasResourceProperties('AWS::Logs::QueryDefinition', {
      Name: 'keygate/prod/usage-by-caller-and-model',
      QueryString: USAGE_INSIGHTS_QUERY,
      LogGroupNames: [{ Ref: Match.stringLikeRegexp('^BLogGroup') }],
    });
    expect(USAGE_INSIGHTS_QUERY).toBe(
      'filter ispresent(Invocations) and ispresent(callerId)\n' +
        '| stats sum(Invocations) as invocations, sum(Errors) as errors, sum(InputTokens) as inputTokens, ' +
        'sum(OutputTokens) as outputTokens, avg(Latency) as avgLatencyMs by callerName, callerKind, model\n' +
        '| sort invocations desc',
    );
  });

  test('rejects a usage query name CloudWatch would not take', () => {
    expectValidationError(
      () => new ModelBackend(stack(), 'B', { models: [Model.demo('s', 'sentiment')], usageQueryName: 'a*b' }),
      'usageQueryName',
      "ModelBackend: usageQueryName must be 1 to 200 letters, digits, spaces or _ . / -, got 'a*b'",
    );
  });
});

describe('ModelBackend streaming', () => {
  test('creates the streaming function only when asked, sharing the role and log group', () => {
    // GIVEN a backend without and one with streaming, each serving a Bedrock model
    const models = [Model.bedrock('haiku', 'anthropic.claude-3-haiku-20240307-v1:0')];
    const plain = stack();
    const off = new ModelBackend(plain, 'B', { models });
    const streamed = stack();
    // WHEN
    const on = new ModelBackend(streamed, 'B', { models, streaming: true });
    // THEN
    expect(off.streamFunction).toBeUndefined();
    Template.fromStack(plain).resourceCountIs('AWS::Lambda::Function', 1);
    const t = Template.fromStack(streamed);
    t.resourceCountIs('AWS::Lambda::Function', 2);
    // The exposed streamFunction is the function of the streaming handler.
    const streamingIds = Object.keys(
      t.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.streamHandler' } }),
    );
    expect(streamingIds).toEqual([
      streamed.getLogicalId(on.streamFunction!.node.defaultChild as lambda.CfnFunction),
    ]);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.streamHandler',
      Timeout: 300,
      Role: Match.objectLike({ 'Fn::GetAtt': [Match.stringLikeRegexp('^BRole'), 'Arn'] }),
      LoggingConfig: { LogGroup: Match.objectLike({ Ref: Match.stringLikeRegexp('^BLogGroup') }) },
    });
    // ConverseStream needs InvokeModelWithResponseStream on the same foundation model, and only then.
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'] }),
        ]),
      },
    });
    Template.fromStack(plain).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'bedrock:InvokeModel' })]),
      },
    });
  });
});

describe('ModelBackend validation', () => {
  const models = [Model.demo('sentiment', 'sentiment')];
  it.each<[string, Partial<ModelBackendProps>, string, string]>([
    ['no models', { models: [] }, 'models', 'ModelBackend: models must list at least one model'],
    [
      'duplicate ids',
      { models: [Model.demo('a', 'sentiment'), Model.demo('a', 'keywords')] },
      'models[1].id',
      "ModelBackend: models[1].id 'a' is used by another model",
    ],
    [
      'memory too small',
      { memorySize: 64 },
      'memorySize',
      'ModelBackend: memorySize must be an integer from 128 to 10240, got 64',
    ],
    [
      'timeout too long',
      { timeout: Duration.minutes(20) },
      'timeout',
      'ModelBackend: timeout must be from 1 to 900 seconds, got 1200',
    ],
    [
      'stream timeout too long',
      { streaming: true, streamTimeout: Duration.minutes(16) },
      'streamTimeout',
      'ModelBackend: streamTimeout must be from 1 to 900 seconds, got 960',
    ],
    [
      'body limit zero',
      { maxBodyBytes: 0 },
      'maxBodyBytes',
      'ModelBackend: maxBodyBytes must be an integer from 1 to 1048576, got 0',
    ],
    [
      'input limit fractional',
      { maxInputChars: 1.5 },
      'maxInputChars',
      'ModelBackend: maxInputChars must be an integer from 1 to 500000, got 1.5',
    ],
    [
      'requirement binding an unknown parameter',
      { invokeRequirement: Requirement.anyOf({ realmRoles: ['model:{name}:invoke'] }) },
      'invokeRequirement',
      "ModelBackend: invokeRequirement.anyOf.realmRoles: 'model:{name}:invoke' binds {name}, which is not a path parameter",
    ],
  ])('rejects %s', (_, extra, field, message) => {
    expectValidationError(
      () => new ModelBackend(stack(), 'B', { models, ...extra } as ModelBackendProps),
      field,
      message,
    );
  });

  test('rejects a machine caller route that is not a route key', () => {
    const s = stack();
    const role = iam.Role.fromRoleArn(s, 'R', 'arn:aws:iam::111122223333:role/x');
    expectValidationError(
      () => new ModelBackend(s, 'B', { models, machineCallers: [{ role, routes: ['/machine/models'] }] }),
      'machineCallers[0].routes',
      "ModelBackend: machineCallers[0].routes must list route keys such as 'POST /machine/models/{modelId}/invoke', got '/machine/models'",
    );
  });

  test("checks the configuration it writes against the function's schema: a role ARN the function would refuse", () => {
    const s = stack();
    const role = iam.Role.fromRoleArn(s, 'R', 'arn:aws:iam::1111:role/x');
    let error: unknown;
    try {
      new ModelBackend(s, 'B', { models, machineCallers: [{ role, routes: ['POST /machine/models'] }] });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ field: 'machineCallers[0].principalArn' });
    expect((error as Error).message).toBe(
      'ModelBackend: machineCallers[0].principalArn must be an IAM role or user ARN (at Test/B)',
    );
  });

  test('leaves a role ARN known only at deploy time to the function', () => {
    const s = stack();
    const role = new iam.Role(s, 'R', { assumedBy: new iam.AccountRootPrincipal() });
    expect(
      () =>
        new ModelBackend(s, 'B', { models, machineCallers: [{ role, routes: ['POST /machine/models'] }] }),
    ).not.toThrow();
  });
});

describe('ModelBackend invokeRequirement', () => {
  function configOf(props: Partial<ModelBackendProps>): unknown {
    const s = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Req', { env: ENV });
    new ModelBackend(s, 'B', { models: [Model.demo('sentiment', 'sentiment')], ...props });
    const fn = Object.values(Template.fromStack(s).findResources('AWS::Lambda::Function'))[0] as {
      Properties: { Environment: { Variables: { KEYGATE_MODELS_CONFIG: string } } };
    };
    return (
      JSON.parse(fn.Properties.Environment.Variables.KEYGATE_MODELS_CONFIG) as { invokeRequirement?: unknown }
    ).invokeRequirement;
  }

  test('Requirement.authenticated() is written as an empty requirement, not left to the default', () => {
    expect(configOf({ invokeRequirement: Requirement.authenticated() })).toEqual({});
  });

  test('a custom requirement is written as given', () => {
    expect(
      configOf({
        invokeRequirement: Requirement.allOf({ groups: ['/ml'], realmRoles: ['model:{modelId}:invoke'] }),
      }),
    ).toEqual({
      allOf: { realmRoles: ['model:{modelId}:invoke'], groups: ['/ml'] },
    });
  });
});

describe('Model', () => {
  it.each<[string, () => Model, string, string]>([
    [
      'an id with a slash',
      () => Model.demo('a/b', 'sentiment'),
      'id',
      "Model.demo: id 'a/b' must be 1-64 letters, digits, '-' or '_', starting with a letter or digit",
    ],
    [
      'an unknown demo',
      () => Model.demo('x', 'translate'),
      'demo',
      "Model.demo: demo must be one of sentiment, keywords, got 'translate'",
    ],
    [
      'an inference profile',
      () => Model.bedrock('x', 'us.anthropic.claude-3-haiku-20240307-v1:0'),
      'foundationModelId',
      "Model.bedrock: foundationModelId 'us.anthropic.claude-3-haiku-20240307-v1:0' is an ARN or inference-profile id; give a foundation-model id such as anthropic.claude-3-haiku-20240307-v1:0",
    ],
    [
      'a bedrock id without provider',
      () => Model.bedrock('x', 'claude'),
      'foundationModelId',
      "Model.bedrock: foundationModelId 'claude' is not a foundation-model id such as anthropic.claude-3-haiku-20240307-v1:0",
    ],
    [
      'an endpoint ARN',
      () => Model.sagemaker('x', 'arn:aws:sagemaker:eu-west-1:111122223333:endpoint/e'),
      'endpointName',
      "Model.sagemaker: endpointName 'arn:aws:sagemaker:eu-west-1:111122223333:endpoint/e' is not a SageMaker endpoint name (letters, digits and hyphens, at most 63)",
    ],
    [
      'a config entry without its bedrock id',
      () =>
        Model.fromConfigs([
          { id: 'ok', kind: 'demo', demo: 'keywords' },
          { id: 'b', kind: 'bedrock' },
        ])[1],
      'models[1].foundationModelId',
      "models[1]: Model.bedrock: foundationModelId '' is not a foundation-model id such as anthropic.claude-3-haiku-20240307-v1:0",
    ],
    [
      'an unknown kind',
      () => Model.fromConfig({ id: 'x', kind: 'openai' }),
      'kind',
      "Model.fromConfig: kind must be one of demo, bedrock, sagemaker, got 'openai'",
    ],
  ])('rejects %s', (_, build, field, message) => {
    expectValidationError(build, field, message);
  });

  test('builds the default app configuration models', () => {
    const built = Model.fromConfigs([...DEFAULT_APP_CONFIG.stages.dev.models]);
    expect(built.map((m) => [m.id, m.kind])).toEqual([
      ['sentiment', 'demo'],
      ['keywords', 'demo'],
    ]);
  });
});
