/**
 * Cognito pre-token-generation trigger (event version 2, V2_0): copies the Keycloak roles Cognito
 * mapped into a custom attribute into the ACCESS token, so the Keygate authorizer applies the same route
 * requirements to federated tokens as to Keycloak tokens.
 *
 * Event and response shape (`response.claimsAndScopeOverrideDetails.accessTokenGeneration
 * .claimsToAddOrOverride`), and that V2_0 access-token claims may be arrays of strings:
 * https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-token-generation.html
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { COGNITO_ROLES_ATTRIBUTE, COGNITO_ROLES_CLAIM } from '../../common/identity-context';
import type { RolesClaim } from './roles-claim';
import { rolesForToken } from './roles-claim';
import { PRE_TOKEN_PROVIDER_NAME_ENV } from '../../common/function-env';
import { PRE_TOKEN_GENERATION_SERVICE_NAME } from '../../common/service-names';

/** Environment variable naming the user pool's Keycloak identity provider. */
export const PROVIDER_NAME_ENV = PRE_TOKEN_PROVIDER_NAME_ENV;

const logger = new Logger({ serviceName: PRE_TOKEN_GENERATION_SERVICE_NAME });

export interface Dependencies {
  readonly providerName: string;
  readonly log: (message: string, fields: Record<string, unknown>) => void;
}

const defaults = (): Dependencies => ({
  providerName: process.env[PROVIDER_NAME_ENV] ?? '',
  log: (message, fields) => logger.info(message, fields),
});

/** The Lambda entry point (Lambda passes the context second, so dependencies are bound here). */
export const handler = (event: PreTokenGenerationV2TriggerEvent): Promise<PreTokenGenerationV2TriggerEvent> =>
  handle(event, defaults());

export async function handle(
  event: PreTokenGenerationV2TriggerEvent,
  deps: Dependencies,
): Promise<PreTokenGenerationV2TriggerEvent> {
  let result: RolesClaim;
  try {
    const attributes = event?.request?.userAttributes;
    result =
      typeof attributes === 'object' && attributes !== null
        ? rolesForToken(attributes, COGNITO_ROLES_ATTRIBUTE, deps.providerName)
        : { roles: [], outcome: 'malformed', dropped: 0 };
  } catch {
    result = { roles: [], outcome: 'malformed', dropped: 0 };
  }
  // Always set the claim (an empty list when nothing qualifies) so its shape never varies.
  const response = {
    claimsAndScopeOverrideDetails: {
      accessTokenGeneration: {
        // An array of strings is an accepted V2_0 claim value; the @types declare only strings.
        claimsToAddOrOverride: { [COGNITO_ROLES_CLAIM]: result.roles } as unknown as Record<string, string>,
      },
    },
  };
  // Identifiers and counts only: role names and attribute values never reach the log.
  deps.log('roles claim', {
    triggerSource: event?.triggerSource,
    outcome: result.outcome,
    roles: result.roles.length,
    dropped: result.dropped,
  });
  return { ...event, response };
}
