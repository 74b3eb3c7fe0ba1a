import { describe, expect, it, test } from 'vitest';
import { MODEL_ID_RULE } from '../../../common/model-contract';
import { loadBackendConfig, validateBackendConfig } from '../../../lambda/models/backend-config';

const MODELS = [{ id: 'sentiment', kind: 'demo', demo: 'sentiment' }];

describe('backend configuration', () => {
  test('applies defaults: the default invoke requirement, no machine callers, 64 KiB / 20000 chars, no content logging', () => {
    const r = loadBackendConfig({ KEYGATE_MODELS_CONFIG: JSON.stringify({ models: MODELS }) });
    expect(r).toEqual({
      ok: true,
      config: {
        models: MODELS,
        invokeRequirement: {
          anyOf: {
            realmRoles: ['model:{modelId}:invoke'],
            clientRoles: ['keygate-api:model:{modelId}:invoke'],
          },
        },
        machineCallers: [],
        limits: { maxBodyBytes: 65536, maxInputChars: 20000 },
        logContent: false,
      },
    });
  });

  it.each<[string, Record<string, string | undefined>, string[], string]>([
    ['an unset variable', {}, ['KEYGATE_MODELS_CONFIG is not set'], 'KEYGATE_MODELS_CONFIG'],
    [
      'bad JSON',
      { KEYGATE_MODELS_CONFIG: '{models' },
      ['KEYGATE_MODELS_CONFIG is not valid JSON'],
      'KEYGATE_MODELS_CONFIG',
    ],
    ['a JSON array', { KEYGATE_MODELS_CONFIG: '[]' }, ['config must be a JSON object'], 'config'],
  ])('rejects %s', (_, env, errors, field) => {
    expect(loadBackendConfig(env)).toEqual({ ok: false, errors, fields: [field] });
  });

  it.each<[string, unknown, string]>([
    ['no models', { models: [] }, 'models must list at least one model'],
    [
      'an id with a slash',
      { models: [{ id: 'a/b', kind: 'demo', demo: 'sentiment' }] },
      `models[0].id must be ${MODEL_ID_RULE} (it appears in paths and role names)`,
    ],
    [
      'a duplicate id',
      { models: [...MODELS, ...MODELS] },
      "models[1].id 'sentiment' is used by another model",
    ],
    [
      'an unknown kind',
      { models: [{ id: 'x', kind: 'openai' }] },
      'models[0].kind must be one of demo, bedrock, sagemaker',
    ],
    [
      'an unknown demo',
      { models: [{ id: 'x', kind: 'demo', demo: 'translate' }] },
      'models[0].demo must be one of sentiment, keywords',
    ],
    [
      'an inference-profile id',
      { models: [{ id: 'x', kind: 'bedrock', bedrockModelId: 'eu.anthropic.claude-3-haiku-20240307-v1:0' }] },
      'models[0].bedrockModelId must be a foundation-model id such as anthropic.claude-3-haiku-20240307-v1:0',
    ],
    [
      'an endpoint ARN',
      {
        models: [
          {
            id: 'x',
            kind: 'sagemaker',
            sagemakerEndpointName: 'arn:aws:sagemaker:eu-west-1:111122223333:endpoint/e',
          },
        ],
      },
      'models[0].sagemakerEndpointName must be a SageMaker endpoint name (^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$)',
    ],
    [
      'a wildcard principal',
      { models: MODELS, machineCallers: [{ principalArn: '*', routes: [] }] },
      'machineCallers[0].principalArn must be an IAM role or user ARN',
    ],
    [
      'a route that is not a route key',
      {
        models: MODELS,
        machineCallers: [{ principalArn: 'arn:aws:iam::111122223333:role/r', routes: ['/machine/models'] }],
      },
      "machineCallers[0].routes[0] must be a route key such as 'POST /machine/models/{modelId}/invoke'",
    ],
    [
      'a limit too high',
      { models: MODELS, limits: { maxBodyBytes: 1e9 } },
      'limits.maxBodyBytes must be an integer from 1 to 1048576',
    ],
    ['logContent as a string', { models: MODELS, logContent: 'yes' }, 'logContent must be a boolean'],
    [
      'a requirement with an unknown kind',
      { models: MODELS, invokeRequirement: { anyOf: { roles: ['x'] } } },
      'invokeRequirement.anyOf.roles is not an entitlement kind (realmRoles, clientRoles, scopes, groups)',
    ],
  ])('rejects %s, naming the field', (_, config, message) => {
    const r = validateBackendConfig(config);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContain(message);
  });
});
