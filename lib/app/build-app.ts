import type { App } from 'aws-cdk-lib';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { selectStage } from '../../common/app-config-validate';
import { KeygateStack } from './keygate-stack';
import { KeygateValidationError } from '../internal/validation-error';

/**
 * Builds the Keygate app from its context: `keygate` (cdk.json, or `-c keygate=<json>`; the embedded
 * default otherwise) and `stage` (`-c stage=<name>`). Throws with every configuration error, each naming
 * its field. No lookups, so synth needs no credentials and no network.
 */
export function buildKeygateApp(app: App): KeygateStack {
  let config: unknown = app.node.tryGetContext('keygate') ?? DEFAULT_APP_CONFIG;
  if (typeof config === 'string') {
    try {
      config = JSON.parse(config);
    } catch {
      throw new KeygateValidationError(
        app,
        'keygate',
        'Invalid Keygate configuration:\n  keygate: the -c keygate=... value is not valid JSON',
      );
    }
  }
  const selected = selectStage(config, app.node.tryGetContext('stage'));
  // The field is the first problem's path (`keygate.stages.prod.keycloak.issuer`, or `stage` for a stage
  // the configuration does not have); every problem is printed.
  if (!selected.ok)
    throw new KeygateValidationError(
      app,
      selected.issues[0].path,
      `Invalid Keygate configuration:\n  ${selected.errors.join('\n  ')}`,
    );
  return new KeygateStack(app, `Keygate-${selected.name}`, {
    stageName: selected.name,
    config: selected.stage,
    // Without an account the stack is environment-agnostic: nothing is looked up at synth.
    env: { account: selected.stage.account, region: selected.stage.region },
    description: `Keygate (${selected.name}): Keycloak-aware authorizer, secured APIs and model backends`,
  });
}
