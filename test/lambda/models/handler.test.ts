import { BedrockRuntimeClient, ConverseCommand, ThrottlingException } from '@aws-sdk/client-bedrock-runtime';
import { InvokeEndpointCommand, ModelError, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, test } from 'vitest';
import { validateBackendConfig, type BackendConfig } from '../../../lambda/models/backend-config';
import { createHandler } from '../../../lambda/models/handler';
import { createModelInvoker } from '../../../lambda/models/model-invoker';
import { iamEvent, keycloakEvent, tokenContext, type Shape } from '../../fixtures/models/events';
import { recordingLogger } from './recording-logger';

const bedrockMock = mockClient(BedrockRuntimeClient);
const sagemakerMock = mockClient(SageMakerRuntimeClient);
afterEach(() => {
  bedrockMock.reset();
  sagemakerMock.reset();
});

const CONFIG = {
  models: [
    { id: 'sentiment', kind: 'demo', demo: 'sentiment', description: 'Lexicon sentiment' },
    { id: 'keywords', kind: 'demo', demo: 'keywords' },
    { id: 'haiku', kind: 'bedrock', bedrockModelId: 'anthropic.claude-3-haiku-20240307-v1:0' },
    { id: 'summarizer', kind: 'sagemaker', sagemakerEndpointName: 'summarizer-endpoint' },
  ],
  machineCallers: [
    {
      principalArn: 'arn:aws:iam::111122223333:role/batch/batch-scorer',
      routes: ['POST /machine/models/{modelId}/invoke', 'GET /machine/models'],
    },
    {
      principalArn: 'arn:aws:iam::111122223333:role/reporting',
      routes: ['POST /machine/models/keywords/invoke'],
    },
  ],
  limits: { maxBodyBytes: 2048, maxInputChars: 500 },
};

function setup(overrides: Partial<BackendConfig> & Record<string, unknown> = {}) {
  const logger = recordingLogger();
  let clock = 1000;
  const handler = createHandler({
    config: validateBackendConfig({ ...CONFIG, ...overrides }),
    invoke: createModelInvoker({
      bedrock: () => new BedrockRuntimeClient({ region: 'eu-west-1' }),
      sagemaker: () => new SageMakerRuntimeClient({ region: 'eu-west-1' }),
    }),
    logger,
    now: () => (clock += 5),
  });
  return { handler, logger };
}

const SHAPES: Shape[] = ['rest', 'http'];
const json = (r: { body: string }) => JSON.parse(r.body) as Record<string, unknown>;

describe.each(SHAPES)('model backend on %s events', (shape) => {
  test('a person with the realm role runs the sentiment model; the audit line names them without content', async () => {
    const { handler, logger } = setup();
    const input = 'The new release is great, not slow at all.';
    const res = await handler(
      keycloakEvent(shape, {
        body: JSON.stringify({ input }),
        context: tokenContext({ realmRoles: 'model:sentiment:invoke' }),
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = json(res) as { modelId: string; output: { label: string; score: number } };
    expect(body.modelId).toBe('sentiment');
    expect(body.output.label).toBe('positive');
    const [audit] = logger.audits();
    expect(audit).toMatchObject({
      callerType: 'token',
      sub: 'a0a0a0a0-1111-4222-8333-444455556666',
      clientId: 'keygate-web',
      username: 'carol',
      modelId: 'sentiment',
      modelKind: 'demo',
      outcome: 'success',
      statusCode: 200,
      route: 'POST /models/{modelId}/invoke',
    });
    expect(audit.latencyMs).toBeGreaterThan(0);
    expect(JSON.stringify(logger.lines)).not.toContain('release');
    expect(JSON.stringify(logger.lines)).not.toContain('positive');
  });

  test('a service account with the client role runs the keywords model', async () => {
    const { handler, logger } = setup();
    const ctx = tokenContext({
      sub: 'svc-1',
      username: 'service-account-batch-scorer',
      clientId: 'batch-scorer',
      tokenKind: 'keycloak-service-account',
      realmRoles: 'default-roles-keygate',
      clientRoles: 'keygate-api:model-user keygate-api:model:keywords:invoke',
    });
    const res = await handler(
      keycloakEvent(shape, {
        modelId: 'keywords',
        context: ctx,
        body: JSON.stringify({
          input: 'Tokens, tokens and more tokens; models run.',
          parameters: { topK: 2 },
        }),
      }),
    );
    expect(res.statusCode).toBe(200);
    const out = (json(res).output as { keywords: { term: string; count: number }[] }).keywords;
    expect(out).toEqual([
      { term: 'tokens', count: 3, frequency: 0.6 },
      { term: 'models', count: 1, frequency: 0.2 },
    ]);
    expect(logger.audits()[0]).toMatchObject({
      sub: 'svc-1',
      clientId: 'batch-scorer',
      username: 'service-account-batch-scorer',
      tokenKind: 'keycloak-service-account',
    });
  });

  test('an IAM role granted the invoke route runs a model; the audit line carries its ARN', async () => {
    const { handler, logger } = setup();
    const res = await handler(iamEvent(shape));
    expect(res.statusCode).toBe(200);
    expect((json(res).output as { label: string }).label).toBe('positive');
    expect(logger.audits()[0]).toMatchObject({
      callerType: 'iam',
      principalArn: 'arn:aws:sts::111122223333:assumed-role/batch-scorer/nightly-run',
      accountId: '111122223333',
      outcome: 'success',
      route: 'POST /machine/models/{modelId}/invoke',
    });
    expect(logger.audits()[0].sub).toBeUndefined();
  });

  it.each<[string, string, string, string[]]>([
    ['one realm role', 'model:sentiment:invoke', '', ['sentiment']],
    [
      'realm roles for two models',
      'model-user model:sentiment:invoke model:keywords:invoke',
      '',
      ['sentiment', 'keywords'],
    ],
    ['a client role', '', 'keygate-api:model:haiku:invoke', ['haiku']],
    ['only model-user', 'model-user', 'keygate-api:model-user', []],
    ['a role of another client', '', 'other-api:model:haiku:invoke', []],
    ['a realm role spelled like the client role', 'keygate-api:model:haiku:invoke', '', []],
    ['a role for an unconfigured model', 'model:translate:invoke', '', []],
  ])(
    'GET /models for a token with %s lists what the invoke requirement allows',
    async (_, realmRoles, clientRoles, expected) => {
      const { handler } = setup();
      const res = await handler(
        keycloakEvent(shape, { route: '/models', context: tokenContext({ realmRoles, clientRoles }) }),
      );
      expect(res.statusCode).toBe(200);
      const models = json(res).models as { id: string; invoke: string }[];
      expect(models.map((m) => m.id)).toEqual(expected);
      for (const m of models) expect(m.invoke).toBe(`POST /models/${m.id}/invoke`);
    },
  );

  it.each<[string, string, string[]]>([
    [
      'a role granted the templated route',
      'arn:aws:sts::111122223333:assumed-role/batch-scorer/s1',
      ['sentiment', 'keywords', 'haiku', 'summarizer'],
    ],
    [
      'a role granted one concrete model',
      'arn:aws:sts::111122223333:assumed-role/reporting/s2',
      ['keywords'],
    ],
    [
      'a role of the same name in another account',
      'arn:aws:sts::999988887777:assumed-role/batch-scorer/s3',
      [],
    ],
    ['a role nobody configured', 'arn:aws:sts::111122223333:assumed-role/intruder/s4', []],
    ['an IAM user', 'arn:aws:iam::111122223333:user/batch-scorer', []],
  ])('GET /machine/models for %s lists its granted models', async (_, userArn, expected) => {
    const { handler } = setup();
    const res = await handler(iamEvent(shape, { route: '/machine/models', userArn }));
    expect(res.statusCode).toBe(200);
    expect((json(res).models as { id: string }[]).map((m) => m.id)).toEqual(expected);
  });

  test('GET /me returns the forwarded identity and ignores identity headers the client sent', async () => {
    const { handler } = setup();
    const res = await handler(
      keycloakEvent(shape, {
        route: '/me',
        context: tokenContext({ realmRoles: 'model-user', groups: '/ml' }),
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({
      type: 'token',
      sub: 'a0a0a0a0-1111-4222-8333-444455556666',
      username: 'carol',
      clientId: 'keygate-web',
      issuer: 'https://keycloak.example.com/realms/keygate',
      tokenKind: 'keycloak-user',
      realmRoles: ['model-user'],
      clientRoles: [],
      scopes: ['openid'],
      groups: ['/ml'],
    });
  });

  it.each<[string, () => Record<string, unknown>, number, string]>([
    [
      'an unconfigured model',
      () =>
        keycloakEvent(shape, {
          modelId: 'translate',
          context: tokenContext({ realmRoles: 'model:translate:invoke' }),
        }),
      404,
      'model_not_found',
    ],
    [
      'a model id with odd characters',
      () =>
        keycloakEvent(shape, {
          modelId: '../etc',
          context: tokenContext({ realmRoles: 'model:sentiment:invoke' }),
        }),
      404,
      'model_not_found',
    ],
    [
      'a person without the model role',
      () =>
        keycloakEvent(shape, { context: tokenContext({ realmRoles: 'model-user model:keywords:invoke' }) }),
      403,
      'model_forbidden',
    ],
    [
      'a realm role spelled like the client role',
      () =>
        keycloakEvent(shape, { context: tokenContext({ realmRoles: 'keygate-api:model:sentiment:invoke' }) }),
      403,
      'model_forbidden',
    ],
    [
      'an IAM role granted another model',
      () => iamEvent(shape, { userArn: 'arn:aws:sts::111122223333:assumed-role/reporting/s' }),
      403,
      'model_forbidden',
    ],
    [
      'an IAM role nobody configured',
      () => iamEvent(shape, { userArn: 'arn:aws:sts::111122223333:assumed-role/intruder/s' }),
      403,
      'model_forbidden',
    ],
    ['no authorizer context', () => keycloakEvent(shape, { context: null }), 401, 'unauthenticated'],
    [
      'a context without sub',
      () => keycloakEvent(shape, { context: { ...tokenContext(), sub: '' } }),
      401,
      'unauthenticated',
    ],
    ['an iam route without an IAM caller', () => iamEvent(shape, { userArn: null }), 401, 'unauthenticated'],
    [
      'an ARN whose account differs from the signing account',
      () => iamEvent(shape, { accountId: '999988887777' }),
      401,
      'unauthenticated',
    ],
    [
      'a malformed caller ARN',
      () => iamEvent(shape, { userArn: 'arn:aws:sts::12:assumed-role/x' }),
      401,
      'unauthenticated',
    ],
    [
      'an unknown route',
      () => keycloakEvent(shape, { method: 'DELETE', route: '/models' }),
      404,
      'route_not_found',
    ],
  ])('answers %s with a JSON error', async (_, event, status, error) => {
    const { handler } = setup();
    const res = await handler(event());
    expect(res.statusCode).toBe(status);
    expect(json(res).error).toBe(error);
    expect(typeof json(res).message).toBe('string');
  });

  test('a denied invocation is audited as forbidden', async () => {
    const { handler, logger } = setup();
    await handler(keycloakEvent(shape, { context: tokenContext({ realmRoles: 'model-user' }) }));
    expect(logger.audits()).toEqual([
      expect.objectContaining({
        outcome: 'forbidden',
        statusCode: 403,
        modelId: 'sentiment',
        sub: 'a0a0a0a0-1111-4222-8333-444455556666',
      }),
    ]);
  });

  const ALLOWED = () => tokenContext({ realmRoles: 'model:sentiment:invoke' });
  const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
  it.each<[string, string | null, boolean, number, string, string?]>([
    ['no body', null, false, 400, 'invalid_body', 'body is required'],
    ['a body over the limit', JSON.stringify({ input: 'x'.repeat(3000) }), false, 413, 'body_too_large'],
    [
      'a base64 body over the limit',
      b64(JSON.stringify({ input: 'x'.repeat(3000) })),
      true,
      413,
      'body_too_large',
    ],
    [
      'multi-byte text over the byte limit',
      JSON.stringify({ input: 'é'.repeat(1100) }),
      false,
      413,
      'body_too_large',
    ],
    ['not JSON', '{"input": "unterminated', false, 400, 'invalid_json'],
    ['a JSON array', '["input"]', false, 400, 'invalid_body', 'body must be a JSON object'],
    ['a JSON string', '"hello"', false, 400, 'invalid_body', 'body must be a JSON object'],
    [
      'deep nesting',
      '['.repeat(1000) + ']'.repeat(1000),
      false,
      400,
      'invalid_body',
      'body must be a JSON object',
    ],
    [
      'deep nesting in parameters',
      JSON.stringify({ input: 'a' }).replace('}', `,"parameters":${'{"a":'.repeat(300)}1${'}'.repeat(300)}}`),
      false,
      400,
      'invalid_body',
      'body.parameters.a is not allowed',
    ],
    [
      'input as a number',
      '{"input": 42}',
      false,
      400,
      'invalid_body',
      'body.input must be a non-blank string of at most 500 characters',
    ],
    ['input as an object', '{"input": {"text": "hi"}}', false, 400, 'invalid_body', 'body.input must be'],
    ['blank input', '{"input": "   "}', false, 400, 'invalid_body', 'body.input must be'],
    [
      'input over maxInputChars',
      JSON.stringify({ input: 'y'.repeat(501) }),
      false,
      400,
      'invalid_body',
      'body.input must be a non-blank string of at most 500 characters',
    ],
    [
      'a lone surrogate',
      '{"input": "bad \\ud800 text"}',
      false,
      400,
      'invalid_body',
      'body.input must be valid Unicode text',
    ],
    [
      'an unknown field',
      '{"input": "hi", "model": "haiku"}',
      false,
      400,
      'invalid_body',
      'body.model is not allowed (allowed: input, parameters)',
    ],
    [
      'a __proto__ key',
      '{"input": "hi", "__proto__": {"polluted": true}}',
      false,
      400,
      'invalid_body',
      'body.__proto__ is not allowed',
    ],
    [
      'a constructor key',
      '{"input": "hi", "constructor": {"prototype": {"polluted": true}}}',
      false,
      400,
      'invalid_body',
      'body.constructor is not allowed',
    ],
    [
      'a __proto__ parameter',
      '{"input": "hi", "parameters": {"__proto__": {"polluted": true}}}',
      false,
      400,
      'invalid_body',
      'body.parameters.__proto__ is not allowed',
    ],
    [
      'parameters as an array',
      '{"input": "hi", "parameters": [1]}',
      false,
      400,
      'invalid_body',
      'body.parameters must be a JSON object',
    ],
    [
      'temperature as a string',
      '{"input": "hi", "parameters": {"temperature": "0.5"}}',
      false,
      400,
      'invalid_body',
      'body.parameters.temperature must be a number from 0 to 1',
    ],
    [
      'maxTokens fractional',
      '{"input": "hi", "parameters": {"maxTokens": 10.5}}',
      false,
      400,
      'invalid_body',
      'body.parameters.maxTokens must be an integer from 1 to 4096',
    ],
    [
      'topK out of range',
      '{"input": "hi", "parameters": {"topK": 1000}}',
      false,
      400,
      'invalid_body',
      'body.parameters.topK must be an integer from 1 to 100',
    ],
    ['invalid base64', '!!!not-base64!!!', true, 400, 'invalid_encoding', 'body is not valid base64'],
    [
      'base64 of invalid UTF-8',
      b64(Buffer.from([0x7b, 0x22, 0x69, 0xff, 0xfe, 0x22, 0x7d])),
      true,
      400,
      'invalid_encoding',
      'body is not valid UTF-8',
    ],
    [
      'base64 of an overlong UTF-8 sequence',
      b64(Buffer.from([0x7b, 0x22, 0x69, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d])),
      true,
      400,
      'invalid_encoding',
      'body is not valid UTF-8',
    ],
  ])('rejects %s', async (_, body, isBase64Encoded, status, error, message) => {
    const { handler, logger } = setup();
    const res = await handler(keycloakEvent(shape, { body, isBase64Encoded, context: ALLOWED() }));
    expect(res.statusCode).toBe(status);
    expect(json(res).error).toBe(error);
    if (message) expect(json(res).message).toContain(message);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(logger.audits()[0]).toMatchObject({
      outcome: 'invalid_request',
      statusCode: status,
      errorCode: error,
    });
  });

  test('a valid base64 body is decoded', async () => {
    const { handler } = setup();
    const res = await handler(
      keycloakEvent(shape, {
        body: b64('{"input":"awful and broken"}'),
        isBase64Encoded: true,
        context: ALLOWED(),
      }),
    );
    expect(res.statusCode).toBe(200);
    expect((json(res).output as { label: string }).label).toBe('negative');
  });

  test('Bedrock: Converse gets the configured model id and the input; the answer text comes back', async () => {
    bedrockMock.on(ConverseCommand).resolves({
      output: { message: { role: 'assistant', content: [{ text: 'Hello' }, { text: ' there' }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 7, outputTokens: 2, totalTokens: 9 },
      metrics: { latencyMs: 120 },
    });
    const { handler } = setup();
    const res = await handler(
      keycloakEvent(shape, {
        modelId: 'haiku',
        context: tokenContext({ realmRoles: 'model:haiku:invoke' }),
        body: JSON.stringify({ input: 'Say hello', parameters: { maxTokens: 64, temperature: 0.2 } }),
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(json(res)).toMatchObject({
      modelId: 'haiku',
      kind: 'bedrock',
      output: { text: 'Hello there', stopReason: 'end_turn' },
      usage: { inputTokens: 7, outputTokens: 2 },
    });
    const calls = bedrockMock.commandCalls(ConverseCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({
      modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
      messages: [{ role: 'user', content: [{ text: 'Say hello' }] }],
      inferenceConfig: { maxTokens: 64, temperature: 0.2, topP: undefined },
    });
  });

  test('Bedrock throttling becomes 429 without the service message', async () => {
    bedrockMock.on(ConverseCommand).rejects(
      new ThrottlingException({
        message: 'Rate exceeded for arn:aws:bedrock:eu-west-1:111122223333:x',
        $metadata: {},
      }),
    );
    const { handler, logger } = setup();
    const res = await handler(
      keycloakEvent(shape, { modelId: 'haiku', context: tokenContext({ realmRoles: 'model:haiku:invoke' }) }),
    );
    expect(res.statusCode).toBe(429);
    expect(json(res).error).toBe('model_throttled');
    expect(res.body).not.toContain('111122223333');
    expect(logger.audits()[0]).toMatchObject({
      outcome: 'model_error',
      statusCode: 429,
      cause: 'ThrottlingException',
    });
    expect(JSON.stringify(logger.lines)).not.toContain('Rate exceeded');
  });

  test('SageMaker: InvokeEndpoint gets the endpoint and a JSON body; a JSON answer is parsed', async () => {
    sagemakerMock.on(InvokeEndpointCommand).resolves({
      Body: new TextEncoder().encode('[{"summary_text":"short"}]') as never,
      ContentType: 'application/json',
      $metadata: {},
    });
    const { handler } = setup();
    const res = await handler(
      keycloakEvent(shape, {
        modelId: 'summarizer',
        context: tokenContext({ realmRoles: 'model:summarizer:invoke' }),
        body: JSON.stringify({ input: 'A long text', parameters: { maxTokens: 30, topK: 5 } }),
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(json(res).output).toEqual({
      result: [{ summary_text: 'short' }],
      contentType: 'application/json',
    });
    const call = sagemakerMock.commandCalls(InvokeEndpointCommand)[0].args[0].input;
    expect(call.EndpointName).toBe('summarizer-endpoint');
    expect(call.ContentType).toBe('application/json');
    expect(JSON.parse(new TextDecoder().decode(call.Body as Uint8Array))).toEqual({
      inputs: 'A long text',
      parameters: { max_new_tokens: 30, top_k: 5 },
    });
  });

  test('a SageMaker container error becomes 502', async () => {
    sagemakerMock
      .on(InvokeEndpointCommand)
      .rejects(new ModelError({ message: 'container said no', $metadata: {} }));
    const { handler } = setup();
    const res = await handler(
      keycloakEvent(shape, {
        modelId: 'summarizer',
        context: tokenContext({ realmRoles: 'model:summarizer:invoke' }),
      }),
    );
    expect(res.statusCode).toBe(502);
    expect(json(res)).toMatchObject({ error: 'model_failed', message: 'the sagemaker model call failed' });
  });
});

describe('model backend configuration and failures', () => {
  test('an invalid configuration answers every request with 500 config_invalid and logs the errors once', async () => {
    const logger = recordingLogger();
    const handler = createHandler({
      config: validateBackendConfig({ models: [{ id: 'x', kind: 'bedrock' }] }),
      invoke: async () => ({ output: 'never' }),
      logger,
    });
    const res = await handler(
      keycloakEvent('http', { context: tokenContext({ realmRoles: 'model:x:invoke' }) }),
    );
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body).error).toBe('config_invalid');
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([
      {
        level: 'error',
        message: 'model backend configuration is invalid',
        attributes: {
          errors: [
            'models[0].bedrockModelId must be a foundation-model id such as anthropic.claude-3-haiku-20240307-v1:0',
          ],
        },
      },
    ]);
  });

  test('an unexpected invoker error is a 500, logged by name only', async () => {
    const logger = recordingLogger();
    const handler = createHandler({
      config: validateBackendConfig(CONFIG),
      invoke: async () => {
        throw new TypeError('secret detail');
      },
      logger,
    });
    const res = await handler(
      keycloakEvent('rest', { context: tokenContext({ realmRoles: 'model:sentiment:invoke' }) }),
    );
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body).error).toBe('internal_error');
    expect(JSON.stringify(logger.lines)).not.toContain('secret detail');
    expect(logger.lines.find((l) => l.level === 'error')?.attributes.errorName).toBe('TypeError');
  });

  test('an empty invoke requirement ("any valid token") lets every verified caller list and invoke every model', async () => {
    const { handler } = setup({ invokeRequirement: {} });
    const ctx = tokenContext({ realmRoles: '', clientRoles: '' });
    const list = await handler(keycloakEvent('rest', { route: '/models', context: ctx }));
    expect((JSON.parse(list.body) as { models: { id: string }[] }).models.map((m) => m.id)).toEqual([
      'sentiment',
      'keywords',
      'haiku',
      'summarizer',
    ]);
    const res = await handler(keycloakEvent('http', { context: ctx, body: '{"input":"good"}' }));
    expect(res.statusCode).toBe(200);
  });

  test('logContent puts input and output into the audit line', async () => {
    const { handler, logger } = setup({ logContent: true });
    await handler(
      keycloakEvent('http', {
        context: tokenContext({ realmRoles: 'model:sentiment:invoke' }),
        body: '{"input":"good"}',
      }),
    );
    expect(logger.audits()[0]).toMatchObject({ input: 'good', output: { label: 'positive' } });
  });

  it.each<[string, unknown]>([
    ['not an object', 'event'],
    ['no requestContext', { httpMethod: 'GET', resource: '/models' }],
    ['a non-string method', { httpMethod: 7, resource: '/models', requestContext: {} }],
  ])('rejects an event that is %s', async (_, event) => {
    const { handler } = setup();
    const res = await handler(event);
    expect(res.statusCode).toBe(400);
  });
});
