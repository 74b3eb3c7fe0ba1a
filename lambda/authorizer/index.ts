/**
 * AWS glue for the Keygate authorizer: read the configuration once per container (cold start), build the
 * handler with its production dependencies, export it. Everything else lives in the pure modules.
 */
import { loadConfig } from './load-config';
import { createHandler } from './handler';
import { secretsExtensionKeyProvider } from '../sign-in/secrets-extension';

const config = loadConfig(process.env);
const session = config.ok ? config.config.session : undefined;

export const handler = createHandler({
  config,
  // Browser sessions: the cookie keyring secret, read through the Parameters and Secrets Lambda Extension.
  sessionKeys: session ? secretsExtensionKeyProvider(session.keysSecretId) : undefined,
});
