/**
 * AWS glue for the Keygate authorizer: read the configuration once per container (cold start), build the
 * handler with its production dependencies, export it. Everything else lives in the pure modules.
 */
import { loadConfig } from './load-config';
import { createHandler } from './handler';
import { createTokenVerifier } from './verify-token';

export const handler = createHandler({
  config: loadConfig(process.env),
  createVerifier: (config, events) => createTokenVerifier(config, { events }),
});
