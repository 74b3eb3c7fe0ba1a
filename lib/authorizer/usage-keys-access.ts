import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** The extension version the Keygate functions use (the sign-in function and browser sessions too). */
export const SECRETS_EXTENSION_VERSION = lambda.ParamsAndSecretsVersions.V1_0_103;

/**
 * Lets the authorizer read the usage-tier key secrets: read access to each, and the Parameters and
 * Secrets Lambda Extension (which lambda/authorizer/usage-keys.ts calls on localhost) when the function
 * does not have it yet (browser sessions add it at construction). The layer is added as
 * lambda.Function's own `paramsAndSecrets` prop would add it.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html
 */
export function grantUsageKeyAccess(fn: lambda.Function, secrets: readonly secretsmanager.ISecret[]): void {
  for (const s of secrets) s.grantRead(fn);
  if (fn.node.tryFindChild('ParamsAndSecretsLayer') !== undefined) return;
  const bound = lambda.ParamsAndSecretsLayerVersion.fromVersion(SECRETS_EXTENSION_VERSION)._bind(fn, fn);
  fn.addLayers(lambda.LayerVersion.fromLayerVersionArn(fn, 'ParamsAndSecretsLayer', bound.arn));
  for (const [k, v] of Object.entries(bound.environmentVars)) fn.addEnvironment(k, String(v));
}
