/**
 * Entry point of the authorizer's session module (`session.js` beside `index.js` in the deployed bundle),
 * which index.ts loads only when the configuration has `session`: the checks of the `session` block, and
 * browser-session support with its production keyring, the cookie key secret read through the Parameters
 * and Secrets Lambda Extension.
 */
import type { SessionConfig } from '../../common/authorizer-config';
import type { SessionSupport } from './session-support';
import { createSessionSupport } from './session-support';
import { secretsExtensionKeyProvider } from '../shared/secrets-extension';

export { validateSessionBlock } from '../../common/authorizer-config';

export function productionSessionSupport(config: SessionConfig): SessionSupport {
  return createSessionSupport(config, secretsExtensionKeyProvider(config.keysSecretId));
}
