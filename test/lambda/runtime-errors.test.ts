import { describe, expect, it } from 'vitest';
import { AuthorizerError } from '../../lambda/authorizer/errors';
import { ModelCallError, ModelsError, toModelCallError } from '../../lambda/models/model-error';
import { SignInError } from '../../lambda/sign-in/errors';
import { IdTokenError, NonceMismatchError, TokenEndpointError } from '../../lambda/sign-in/oidc-client';
import { clientSecretFrom } from '../../lambda/sign-in/client-secret';

describe('runtime errors: one base class per function, with the standard Error.cause', () => {
  it.each([
    ['authorizer', new AuthorizerError('a', { cause: 'why' }), AuthorizerError],
    ['sign-in', new TokenEndpointError('t', 'invalid_grant', { cause: 'why' }), SignInError],
    ['models', new ModelCallError(502, 'model_failed', 'm', { cause: 'why' }), ModelsError],
  ] as const)('%s', (_name, error, base) => {
    expect(error).toBeInstanceOf(base);
    expect(error).toBeInstanceOf(Error);
    expect(error.cause).toBe('why');
  });

  it('every sign-in error class extends SignInError', () => {
    expect(new IdTokenError('x')).toBeInstanceOf(SignInError);
    expect(new NonceMismatchError('x')).toBeInstanceOf(SignInError);
    expect(() => clientSecretFrom('', undefined)).toThrow(SignInError);
  });

  it('a model call error keeps the AWS error as cause and its name for the audit line', () => {
    const aws = Object.assign(new Error('arn:aws:bedrock:... is throttled'), { name: 'ThrottlingException' });
    const e = toModelCallError(aws, 'bedrock');
    expect(e).toMatchObject({
      statusCode: 429,
      code: 'model_throttled',
      awsErrorName: 'ThrottlingException',
    });
    expect(e.cause).toBe(aws);
    expect(e.message).toBe('the model is busy; retry later');
  });
});
