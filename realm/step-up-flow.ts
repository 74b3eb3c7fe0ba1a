/**
 * Keycloak's step-up configuration for a realm, through the admin API: the realm's ACR-to-LoA mapping
 * (attribute `acr.loa.map`, the same map the authorizer's `acrLoaMap` declares) and a browser flow whose
 * levels are "Condition - level of authentication" sub-flows, as Keycloak documents it
 * (https://www.keycloak.org/docs/latest/server_admin/#_step-up-flow):
 *
 *   <alias>                      (top level, bound as the realm's browser flow)
 *     Cookie                     ALTERNATIVE
 *     <alias> forms              ALTERNATIVE
 *       <alias> level N          CONDITIONAL, one per level, lowest first
 *         Condition - level of authentication (level N)   REQUIRED
 *         <the level's authenticator>                     REQUIRED
 *
 * A client asking for a level (`acr_values`, or an essential `acr` in `claims`) goes through every level
 * up to it; the token's `acr` is then the map's name for the level reached.
 */
import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import type { AcrLoaMap } from '../common/step-up';

/** The realm (and client) attribute holding Keycloak's ACR-to-LoA mapping, as JSON. */
export const ACR_LOA_MAP_ATTRIBUTE = 'acr.loa.map';
/** Keycloak's authenticator id of the level condition, and its config keys. */
const LOA_CONDITION = 'conditional-level-of-authentication';

export interface StepUpLevel {
  /** The level (as the acrLoaMap numbers it). */
  readonly level: number;
  /** Keycloak authenticator id, e.g. `auth-username-password-form`, `auth-password-form`, `auth-otp-form`. */
  readonly authenticator: string;
}

export interface StepUpFlowOptions {
  /** The flow's alias. @default 'keygate step-up' */
  readonly alias?: string;
  readonly acrLoaMap: AcrLoaMap;
  /** The levels, each with the authenticator that reaches it; at least one. */
  readonly levels: readonly StepUpLevel[];
  /** Seconds a level stays valid in the SSO session (`loa-max-age`). @default 36000 (Keycloak's default) */
  readonly levelMaxAgeSeconds?: number;
}

/** Sets the realm's acr.loa.map and binds a step-up browser flow to it. Fails on the first admin error. */
export async function applyStepUpFlow(
  admin: KeycloakAdminClient,
  realm: string,
  options: StepUpFlowOptions,
): Promise<void> {
  const alias = options.alias ?? 'keygate step-up';
  const levels = [...options.levels].sort((a, b) => a.level - b.level);
  if (levels.length === 0) throw new Error('applyStepUpFlow: name at least one level');
  const current = await admin.realms.findOne({ realm });
  await admin.realms.update(
    { realm },
    {
      attributes: {
        ...(current?.attributes ?? {}),
        [ACR_LOA_MAP_ATTRIBUTE]: JSON.stringify(options.acrLoaMap),
      },
    },
  );
  const am = admin.authenticationManagement;
  await am.createFlow({
    realm,
    alias,
    providerId: 'basic-flow',
    topLevel: true,
    builtIn: false,
    description: alias,
  });
  await am.addExecutionToFlow({ realm, flow: alias, provider: 'auth-cookie' });
  const forms = `${alias} forms`;
  await am.addFlowToFlow({
    realm,
    flow: alias,
    alias: forms,
    type: 'basic-flow',
    provider: 'registration-page-form',
    description: 'sign-in forms by level',
  });
  await setRequirement(admin, realm, alias, (e) => e.providerId === 'auth-cookie', 'ALTERNATIVE');
  await setRequirement(admin, realm, alias, (e) => e.displayName === forms, 'ALTERNATIVE');
  for (const { level, authenticator } of levels) {
    const sub = `${alias} level ${level}`;
    await am.addFlowToFlow({
      realm,
      flow: forms,
      alias: sub,
      type: 'basic-flow',
      provider: 'registration-page-form',
      description: `level ${level}`,
    });
    await setRequirement(admin, realm, forms, (e) => e.displayName === sub, 'CONDITIONAL');
    await am.addExecutionToFlow({ realm, flow: sub, provider: LOA_CONDITION });
    await am.addExecutionToFlow({ realm, flow: sub, provider: authenticator });
    const condition = await setRequirement(
      admin,
      realm,
      sub,
      (e) => e.providerId === LOA_CONDITION,
      'REQUIRED',
    );
    await setRequirement(admin, realm, sub, (e) => e.providerId === authenticator, 'REQUIRED');
    await am.createConfig({
      realm,
      id: condition,
      alias: `${alias.replace(/\s+/g, '-')}-level-${level}`,
      config: {
        'loa-condition-level': String(level),
        'loa-max-age': String(options.levelMaxAgeSeconds ?? 36_000),
      },
    });
  }
  await admin.realms.update({ realm }, { browserFlow: alias });
}

/** Sets the requirement of the one direct execution of `flow` that `pick` selects; returns its id. */
async function setRequirement(
  admin: KeycloakAdminClient,
  realm: string,
  flow: string,
  pick: (e: { providerId?: string; displayName?: string; level?: number }) => boolean,
  requirement: 'ALTERNATIVE' | 'CONDITIONAL' | 'REQUIRED',
): Promise<string> {
  const executions = (await admin.authenticationManagement.getExecutions({ realm, flow })).filter(
    (e) => e.level === 0 && pick(e),
  );
  if (executions.length !== 1 || executions[0].id === undefined)
    throw new Error(`applyStepUpFlow: expected one execution to set ${requirement} in '${flow}'`);
  await admin.authenticationManagement.updateExecution({ realm, flow }, { ...executions[0], requirement });
  return executions[0].id;
}
