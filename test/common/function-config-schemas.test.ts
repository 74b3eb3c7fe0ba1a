import { describe, expect, it } from 'vitest';
import { validateBackendConfig, validateModelList } from '../../common/model-backend-config';
import { MODEL_ID_RULE } from '../../common/model-contract';
import { validateSignInConfig } from '../../common/sign-in-config';

const SIGN_IN = {
  version: 1,
  issuer: 'https://sso.example.com/realms/ml',
  clientId: 'keygate-web',
  keysSecretId: 'keys',
};
const MODELS = [{ id: 'sentiment', kind: 'demo', demo: 'sentiment' }];
/** Stands for a CDK token: a value known only at deploy time. */
const TOKEN = '${Token[TOKEN.1]}';
const isUnresolved = (value: unknown) => typeof value === 'string' && value.includes('${Token[');

describe('function configuration schemas', () => {
  it('names a missing required field with the message of its schema', () => {
    const withoutIssuer: Record<string, unknown> = { ...SIGN_IN };
    delete withoutIssuer.issuer;
    expect(validateSignInConfig(withoutIssuer)).toEqual({
      ok: false,
      errors: ['issuer must be an https URL without a trailing slash'],
      fields: ['issuer'],
    });
  });

  it('names the field a model of a kind needs when it is left out', () => {
    expect(validateBackendConfig({ models: [{ id: 'x', kind: 'sagemaker' }] })).toEqual({
      ok: false,
      errors: [
        'models[0].sagemakerEndpointName must be a SageMaker endpoint name (^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$)',
      ],
      fields: ['models[0].sagemakerEndpointName'],
    });
  });

  it.each<[string, unknown, string[]]>([
    [
      'an unknown field',
      { models: MODELS, extra: true },
      ['extra is not a known field (models, invokeRequirement, machineCallers, limits, logContent)'],
    ],
    ['a list as limits', { models: MODELS, limits: [] }, ['limits must be a JSON object']],
    [
      'an unknown model field',
      { models: [{ ...MODELS[0], region: 'eu-west-1' }] },
      [
        'models[0].region is not a known field (id, kind, description, demo, bedrockModelId, sagemakerEndpointName)',
      ],
    ],
    [
      'a requirement the route model refuses, with its own message',
      { models: MODELS, invokeRequirement: { allOf: { clientRoles: ['x'] } } },
      ["invokeRequirement.allOf.clientRoles: 'x' must be written client:role"],
    ],
    [
      'every problem at once',
      { models: [{ id: 'a/b', kind: 'demo', demo: 'x' }], logContent: 1 },
      [
        `models[0].id must be ${MODEL_ID_RULE} (it appears in paths and role names)`,
        'models[0].demo must be one of sentiment, keywords',
        'logContent must be a boolean',
      ],
    ],
  ])('refuses %s in the backend config', (_, config, errors) => {
    const result = validateBackendConfig(config);
    expect(result).toMatchObject({ ok: false, errors });
    expect(!result.ok && result.errors).toHaveLength(errors.length);
  });

  it("checks a stage's model list with the same schema, under the stage's path", () => {
    expect(
      validateModelList(
        [{ id: 'x', kind: 'bedrock', bedrockModelId: 'eu.anthropic.claude-3-haiku-20240307-v1:0' }],
        'keygate.stages.dev.models',
      ),
    ).toEqual([
      {
        path: 'keygate.stages.dev.models[0].bedrockModelId',
        message:
          'keygate.stages.dev.models[0].bedrockModelId must be a foundation-model id such as anthropic.claude-3-haiku-20240307-v1:0',
      },
    ]);
    expect(validateModelList(undefined, 'keygate.stages.dev.models')).toEqual([
      {
        path: 'keygate.stages.dev.models',
        message: 'keygate.stages.dev.models must list at least one model',
      },
    ]);
    expect(
      validateModelList([{ id: 'x', kind: 'demo', demo: 'sentiment' }], 'keygate.stages.dev.models'),
    ).toEqual([]);
  });

  it('leaves out what only deploy time knows (tokens), and still reports the rest', () => {
    expect(
      validateSignInConfig(
        { ...SIGN_IN, issuer: `${TOKEN}/realms/ml`, keysSecretId: TOKEN },
        { isUnresolved },
      ),
    ).toMatchObject({ ok: true });
    expect(
      validateSignInConfig({ ...SIGN_IN, issuer: TOKEN, postLogoutPath: '//evil' }, { isUnresolved }),
    ).toEqual({
      ok: false,
      errors: ['postLogoutPath must be a path starting with a single /'],
      fields: ['postLogoutPath'],
    });
    expect(
      validateBackendConfig(
        { models: MODELS, machineCallers: [{ principalArn: TOKEN, routes: ['POST /machine/models'] }] },
        { isUnresolved },
      ),
    ).toMatchObject({ ok: true });
    // Without the option, the token is judged as the text it is.
    expect(validateSignInConfig({ ...SIGN_IN, keysSecretId: TOKEN, issuer: TOKEN })).toEqual({
      ok: false,
      errors: ['issuer must be an https URL without a trailing slash'],
      fields: ['issuer'],
    });
  });
});
