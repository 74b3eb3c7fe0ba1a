import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { COGNITO_ROLES_ATTRIBUTE, COGNITO_ROLES_CLAIM } from '../../../common/identity-context';
import { handle } from '../../../lambda/pre-token-generation/index';

const fixture = (): PreTokenGenerationV2TriggerEvent =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', 'hosted-auth-v2.json'), 'utf8'));

function run(event: PreTokenGenerationV2TriggerEvent) {
  const logs: Record<string, unknown>[] = [];
  const out = handle(event, {
    providerName: 'Keycloak',
    log: (message, fields) => logs.push({ message, ...fields }),
  });
  return { out, logs };
}

describe('pre-token-generation handler (V2_0)', () => {
  it('puts the Keycloak roles into the access token claim and echoes the event', async () => {
    // GIVEN a hosted-UI sign-in of a Keycloak-federated user
    const event = fixture();
    // WHEN the trigger runs
    const { out, logs } = run(event);
    const result = await out;
    // THEN the access token gets the roles as a list, nothing else is changed
    expect(result.response.claimsAndScopeOverrideDetails).toEqual({
      accessTokenGeneration: {
        claimsToAddOrOverride: {
          [COGNITO_ROLES_CLAIM]: ['model-user', 'model:sentiment:invoke', 'keygate-api:model-user'],
        },
      },
    });
    expect(result.request).toEqual(event.request);
    expect(result.userPoolId).toBe(event.userPoolId);
    expect(logs).toEqual([
      {
        message: 'roles claim',
        triggerSource: 'TokenGeneration_HostedAuth',
        outcome: 'ok',
        roles: 3,
        dropped: 0,
      },
    ]);
  });

  it('logs counts only, never the role names or attribute text', async () => {
    const event = fixture();
    (event.request.userAttributes as Record<string, string>)[COGNITO_ROLES_ATTRIBUTE] =
      '[secret-role, bad/role]';
    const { out, logs } = run(event);
    await out;
    expect(JSON.stringify(logs)).not.toMatch(/secret-role|bad\/role/);
    expect(logs[0]).toMatchObject({ roles: 1, dropped: 1 });
  });

  it('sets an empty list for a user not federated from Keycloak', async () => {
    const event = fixture();
    delete (event.request.userAttributes as Record<string, string>).identities;
    const result = await run(event).out;
    expect(
      result.response.claimsAndScopeOverrideDetails?.accessTokenGeneration?.claimsToAddOrOverride,
    ).toEqual({
      [COGNITO_ROLES_CLAIM]: [],
    });
  });

  it.each<[string, unknown]>([
    ['no request', { version: '2', triggerSource: 'TokenGeneration_RefreshTokens' }],
    ['userAttributes not an object', { version: '2', request: { userAttributes: 'x' } }],
    ['null event', null],
  ])('fails closed on %s: empty roles, no throw', async (_case, event) => {
    const result = await run(event as PreTokenGenerationV2TriggerEvent).out;
    expect(
      result.response.claimsAndScopeOverrideDetails?.accessTokenGeneration?.claimsToAddOrOverride,
    ).toEqual({
      [COGNITO_ROLES_CLAIM]: [],
    });
  });
});
