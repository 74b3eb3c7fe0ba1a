/**
 * The model backend's own check follows the issuer scope of the invoke requirement: a caller whose token
 * came from another trusted issuer (the authorizer context's `issuer`) never gets `model:*:invoke` from
 * entitlements of the same names.
 */
import { describe, expect, test } from 'vitest';
import { validateBackendConfig } from '../../../lambda/models/backend-config';
import { createHandler } from '../../../lambda/models/handler';
import { createModelInvoker } from '../../../lambda/models/model-invoker';
import { keycloakEvent, tokenContext, type Shape } from '../../fixtures/models/events';
import { recordingLogger } from './recording-logger';

const REALM_A = 'https://keycloak.example.com/realms/keygate';
const REALM_B = 'https://sso.partner.example/realms/partner';

function handler() {
  const config = validateBackendConfig({
    models: [{ id: 'sentiment', kind: 'demo', demo: 'sentiment' }],
    invokeRequirement: {
      anyOf: {
        realmRoles: ['model:{modelId}:invoke'],
        clientRoles: ['keygate-api:model:{modelId}:invoke'],
      },
      issuers: [REALM_A],
    },
  });
  expect(config.ok).toBe(true);
  return createHandler({
    config,
    invoke: createModelInvoker({
      bedrock: () => Promise.reject(new Error('not used')),
      sagemaker: () => Promise.reject(new Error('not used')),
    } as never),
    logger: recordingLogger(),
  });
}

/** Entitlements named like the first realm's, held in a token of `issuer`. */
const sameNames = (issuer: string) =>
  tokenContext({
    issuer,
    realmRoles: 'model:sentiment:invoke',
    clientRoles: 'keygate-api:model:sentiment:invoke',
  });

describe.each<Shape>(['rest', 'http'])(
  'model backend with issuer-scoped requirements, %s events',
  (shape) => {
    test('refuses to invoke for a caller of another issuer holding roles of the same names', async () => {
      const res = await handler()(
        keycloakEvent(shape, { body: JSON.stringify({ input: 'great' }), context: sameNames(REALM_B) }),
      );
      expect(res.statusCode).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'model_forbidden' });
    });

    test('lists no model to that caller', async () => {
      const res = await handler()(
        keycloakEvent(shape, { route: '/models', method: 'GET', body: null, context: sameNames(REALM_B) }),
      );
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ models: [] });
    });

    test('invokes for the same roles from the issuer in scope', async () => {
      const res = await handler()(
        keycloakEvent(shape, { body: JSON.stringify({ input: 'great' }), context: sameNames(REALM_A) }),
      );
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ modelId: 'sentiment' });
    });
  },
);
