/**
 * The trigger's entry (`handler`) as Lambda calls it: the identity provider's name from the environment the
 * construct sets, one JSON log line through Powertools Logger with counts only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { PRE_TOKEN_PROVIDER_NAME_ENV } from '../../../common/function-env';
import { COGNITO_ROLES_CLAIM } from '../../../common/identity-context';
import { handle, handler, PROVIDER_NAME_ENV } from '../../../lambda/pre-token-generation/index';

const fixture = (): PreTokenGenerationV2TriggerEvent =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', 'hosted-auth-v2.json'), 'utf8'));

function captureStdout() {
  const written: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  return () =>
    written
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const claimOf = (event: PreTokenGenerationV2TriggerEvent) =>
  event.response.claimsAndScopeOverrideDetails?.accessTokenGeneration?.claimsToAddOrOverride;

describe('pre-token-generation entry', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  test('exports the environment variable name the construct sets', () => {
    expect(PROVIDER_NAME_ENV).toBe(PRE_TOKEN_PROVIDER_NAME_ENV);
  });

  test.each([
    [
      'the provider of the identity',
      'Keycloak',
      ['model-user', 'model:sentiment:invoke', 'keygate-api:model-user'],
      'ok',
    ],
    ['another provider', 'OtherIdp', [], 'not_federated'],
    ['no provider name', undefined, [], 'not_federated'],
  ])(
    '%s in the environment: the claim holds the roles it allows, the log line its outcome',
    async (_name, provider, roles, outcome) => {
      vi.stubEnv(PROVIDER_NAME_ENV, provider);
      vi.stubEnv('POWERTOOLS_DEV', '');
      const lines = captureStdout();
      const result = await handler(fixture());
      expect(claimOf(result)).toEqual({ [COGNITO_ROLES_CLAIM]: roles });
      expect(lines()).toEqual([
        expect.objectContaining({
          level: 'INFO',
          message: 'roles claim',
          service: 'keygate-pre-token-generation',
          triggerSource: 'TokenGeneration_HostedAuth',
          outcome,
          roles: roles.length,
          dropped: 0,
        }),
      ]);
    },
  );

  test('attributes whose reading throws: fails closed with an empty list, outcome malformed', async () => {
    const event = fixture();
    const attributes = new Proxy(
      {},
      {
        get() {
          throw new Error('hostile attribute');
        },
      },
    );
    (event.request as { userAttributes: unknown }).userAttributes = attributes;
    const logs: Record<string, unknown>[] = [];
    const result = await handle(event, {
      providerName: 'Keycloak',
      log: (message, fields) => logs.push({ message, ...fields }),
    });
    expect(claimOf(result)).toEqual({ [COGNITO_ROLES_CLAIM]: [] });
    expect(logs).toEqual([
      {
        message: 'roles claim',
        triggerSource: 'TokenGeneration_HostedAuth',
        outcome: 'malformed',
        roles: 0,
        dropped: 0,
      },
    ]);
  });
});
