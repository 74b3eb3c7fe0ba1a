/**
 * The realm's step-up configuration as code, from the stage's `keycloak.acrLoaMap` and
 * `keycloak.stepUpFlow` (docs/step-up.md): the ACR-to-LoA mapping (realm attribute `acr.loa.map`), a
 * browser flow whose levels are "Condition - level of authentication" sub-flows, as Keycloak's server
 * administration guide builds it in "Creating a browser login flow with step-up mechanism"
 * (https://www.keycloak.org/docs/latest/server_admin/#_step-up-flow), and the `amr` claim:
 *
 *   keygate step-up                    (top level, bound as the realm's browser flow)
 *     Cookie                           ALTERNATIVE
 *     Identity Provider Redirector     ALTERNATIVE  (kc_idp_hint, as in the built-in browser flow)
 *     keygate step-up forms            ALTERNATIVE
 *       keygate step-up level N        CONDITIONAL, one per level, lowest first
 *         Condition - level of authentication (level N, loa-max-age)   REQUIRED
 *         <the level's authenticator> (default.reference.value = amr)  REQUIRED
 *
 * A client asking for a level (`acr_values`, or an essential `acr` in `claims`) goes through every level
 * up to it; the token's `acr` is then the map's name for the level reached. Keycloak writes `amr` from
 * the reference values (`default.reference.value`) of the authenticators the session completed, through
 * the "Authentication Method Reference (AMR)" protocol mapper (`oidc-amr-mapper`, AmrProtocolMapper:
 * https://www.keycloak.org/docs-api/latest/javadocs/org/keycloak/protocol/oidc/mappers/AmrProtocolMapper.html).
 *
 * One definition, two ways in: `stepUpRealmParts` is the realm import format (`kc.sh import`, a realm
 * created from the whole representation), and `applyAuthenticationFlow` creates the same flow through the
 * admin API in an existing realm (realm:apply), reading it from that same representation.
 */
import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import type { StageConfig } from '../common/app-config';
import { DEFAULT_LEVEL_MAX_AGE_SECONDS } from '../common/stage-step-up';
import type { StepUpLevelConfig } from '../common/stage-step-up';
import type { AcrLoaMap } from '../common/step-up';
import type { ProtocolMapperRepresentation, RealmRepresentation } from './keycloak-types';

/** The realm (and client) attribute holding Keycloak's ACR-to-LoA mapping, as JSON. */
export const ACR_LOA_MAP_ATTRIBUTE = 'acr.loa.map';
/** The alias of the step-up browser flow the realm definition creates. */
export const STEP_UP_FLOW_ALIAS = 'keygate step-up';
/** Keycloak's authenticator id of the level condition. */
const LOA_CONDITION = 'conditional-level-of-authentication';

export interface StepUpFlowOptions {
  /** The flow's alias. @default STEP_UP_FLOW_ALIAS */
  readonly alias?: string;
  readonly acrLoaMap: AcrLoaMap;
  /** The levels, each with the authenticator that reaches it and its `amr` value; at least one. */
  readonly levels: readonly StepUpLevelConfig[];
  /** Seconds a level stays valid in the SSO session (`loa-max-age`). @default 36000 (Keycloak's default) */
  readonly levelMaxAgeSeconds?: number;
  /** Seconds an `amr` value stays in the session's tokens (`default.reference.maxAge`). @default 36000 */
  readonly amrMaxAgeSeconds?: number;
}

/** One execution of a flow in Keycloak's import format (AuthenticationExecutionExportRepresentation). */
export interface FlowExecution {
  readonly authenticator?: string;
  readonly authenticatorFlow: boolean;
  readonly flowAlias?: string;
  readonly requirement: 'ALTERNATIVE' | 'CONDITIONAL' | 'REQUIRED';
  readonly priority: number;
  readonly userSetupAllowed: boolean;
  readonly authenticatorConfig?: string;
}

/** A flow in Keycloak's import format (AuthenticationFlowRepresentation). */
export interface FlowRepresentation {
  readonly alias: string;
  readonly description: string;
  readonly providerId: 'basic-flow';
  readonly topLevel: boolean;
  readonly builtIn: false;
  readonly authenticationExecutions: readonly FlowExecution[];
}

/** An authenticator configuration in Keycloak's import format, named by alias. */
export interface AuthenticatorConfig {
  readonly alias: string;
  readonly config: Readonly<Record<string, string>>;
}

/** The parts of a realm representation that carry step-up. */
export interface StepUpRealmParts {
  readonly attributes: Record<string, string>;
  readonly authenticationFlows?: FlowRepresentation[];
  readonly authenticatorConfig?: AuthenticatorConfig[];
  readonly browserFlow?: string;
}

/** The stage's step-up options, or undefined when its realm declares no levels. */
export function stepUpFlowOf(stage: StageConfig): StepUpFlowOptions | undefined {
  const { acrLoaMap, stepUpFlow } = stage.keycloak;
  if (acrLoaMap === undefined) return undefined;
  return {
    acrLoaMap,
    levels: stepUpFlow?.levels ?? [],
    ...(stepUpFlow?.levelMaxAgeSeconds !== undefined
      ? { levelMaxAgeSeconds: stepUpFlow.levelMaxAgeSeconds }
      : {}),
    ...(stepUpFlow?.amrMaxAgeSeconds !== undefined ? { amrMaxAgeSeconds: stepUpFlow.amrMaxAgeSeconds } : {}),
  };
}

/** An execution as a flow lists it, before its place in the flow is known. */
type ExecutionStep = Omit<FlowExecution, 'priority' | 'userSetupAllowed'>;

/** A basic flow of the given executions, in order. */
export function basicFlow(
  alias: string,
  description: string,
  executions: readonly ExecutionStep[],
  topLevel = false,
): FlowRepresentation {
  return {
    alias,
    description,
    providerId: 'basic-flow',
    topLevel,
    builtIn: false,
    authenticationExecutions: executions.map((e, i) => ({
      ...e,
      // Priorities as the admin console numbers them; Keycloak runs executions in this order.
      priority: (i + 1) * 10,
      userSetupAllowed: false,
    })),
  };
}

/** An authenticator configuration alias under the flow's alias (`keygate-step-up-level-2`). */
function configAliasOf(alias: string, what: string): string {
  return `${alias.replace(/\s+/g, '-')}-${what}`;
}

/**
 * The top of the step-up browser flow: a session cookie, an upstream provider, or the forms (one
 * conditional sub-flow per level, lowest first).
 */
export function browserFlows(alias: string, levels: readonly StepUpLevelConfig[]): FlowRepresentation[] {
  const forms = `${alias} forms`;
  return [
    basicFlow(
      alias,
      'Keygate: browser sign-in with step-up levels (docs/step-up.md)',
      [
        { authenticator: 'auth-cookie', authenticatorFlow: false, requirement: 'ALTERNATIVE' },
        // As in Keycloak's built-in browser flow: `kc_idp_hint` sends the person to an upstream provider.
        {
          authenticator: 'identity-provider-redirector',
          authenticatorFlow: false,
          requirement: 'ALTERNATIVE',
        },
        { authenticatorFlow: true, flowAlias: forms, requirement: 'ALTERNATIVE' },
      ],
      true,
    ),
    basicFlow(
      forms,
      'sign-in forms by level',
      levels.map((l) => ({
        authenticatorFlow: true,
        flowAlias: `${alias} level ${l.level}`,
        requirement: 'CONDITIONAL' as const,
      })),
    ),
  ];
}

/**
 * One level's sub-flow (the level condition, then the level's authenticator) and its authenticator
 * configurations: the condition's, and the `amr` reference's when the level writes one.
 */
export function levelFlow(
  alias: string,
  l: StepUpLevelConfig,
  options: Pick<StepUpFlowOptions, 'levelMaxAgeSeconds' | 'amrMaxAgeSeconds'>,
): { readonly flow: FlowRepresentation; readonly configs: AuthenticatorConfig[] } {
  const condition = configAliasOf(alias, `level-${l.level}`);
  const configs: AuthenticatorConfig[] = [
    {
      alias: condition,
      config: {
        'loa-condition-level': String(l.level),
        'loa-max-age': String(options.levelMaxAgeSeconds ?? DEFAULT_LEVEL_MAX_AGE_SECONDS),
      },
    },
  ];
  const reference = l.amr !== undefined ? configAliasOf(alias, `level-${l.level}-amr`) : undefined;
  if (reference !== undefined) {
    configs.push({
      alias: reference,
      config: {
        'default.reference.value': l.amr!,
        'default.reference.maxAge': String(options.amrMaxAgeSeconds ?? DEFAULT_LEVEL_MAX_AGE_SECONDS),
      },
    });
  }
  const flow = basicFlow(`${alias} level ${l.level}`, `level ${l.level}`, [
    {
      authenticator: LOA_CONDITION,
      authenticatorFlow: false,
      requirement: 'REQUIRED',
      authenticatorConfig: condition,
    },
    {
      authenticator: l.authenticator,
      authenticatorFlow: false,
      requirement: 'REQUIRED',
      ...(reference !== undefined ? { authenticatorConfig: reference } : {}),
    },
  ]);
  return { flow, configs };
}

/**
 * The realm attribute `acr.loa.map` and, with levels, the step-up browser flow (its flows, its
 * authenticator configurations, and its binding as the browser flow), in the realm import format.
 */
export function stepUpRealmParts(options: StepUpFlowOptions): StepUpRealmParts {
  const attributes = { [ACR_LOA_MAP_ATTRIBUTE]: JSON.stringify(options.acrLoaMap) };
  if (options.levels.length === 0) return { attributes };
  const alias = options.alias ?? STEP_UP_FLOW_ALIAS;
  const levels = [...options.levels].sort((a, b) => a.level - b.level);
  const perLevel = levels.map((l) => levelFlow(alias, l, options));
  return {
    attributes,
    authenticationFlows: [...browserFlows(alias, levels), ...perLevel.map((p) => p.flow)],
    authenticatorConfig: perLevel.flatMap((p) => p.configs),
    browserFlow: alias,
  };
}

/** Whether any level writes an `amr` value, so the clients need the AMR mapper. */
export function stepUpWritesAmr(options: StepUpFlowOptions | undefined): boolean {
  return options?.levels.some((l) => l.amr !== undefined) ?? false;
}

/** Keycloak's "Authentication Method Reference (AMR)" mapper: `amr` in access and ID tokens. */
export function amrMapper(): ProtocolMapperRepresentation {
  return {
    name: 'amr',
    protocol: 'openid-connect',
    protocolMapper: 'oidc-amr-mapper',
    config: {
      'access.token.claim': 'true',
      'id.token.claim': 'true',
      'introspection.token.claim': 'true',
    },
  };
}

/**
 * Creates the top-level flow `alias` of the representation through the admin API, sub-flows,
 * requirements and authenticator configurations included, as an import would. Returns false (and
 * changes nothing) when the realm already has a flow of that alias: such a flow is left as it is.
 */
export async function applyAuthenticationFlow(
  admin: KeycloakAdminClient,
  realm: string,
  parts: Pick<StepUpRealmParts, 'authenticationFlows' | 'authenticatorConfig'>,
  alias: string,
): Promise<boolean> {
  const am = admin.authenticationManagement;
  if ((await am.getFlows({ realm })).some((f) => f.alias === alias)) return false;
  const flows = new Map((parts.authenticationFlows ?? []).map((f) => [f.alias, f]));
  const configs = new Map((parts.authenticatorConfig ?? []).map((c) => [c.alias, c.config]));
  const top = flows.get(alias);
  if (top === undefined) throw new Error(`applyAuthenticationFlow: the definition has no flow '${alias}'`);
  await am.createFlow({
    realm,
    alias,
    description: top.description,
    providerId: 'basic-flow',
    topLevel: true,
    builtIn: false,
  });
  const fill = async (flow: FlowRepresentation): Promise<void> => {
    for (const e of [...flow.authenticationExecutions].sort((a, b) => a.priority - b.priority)) {
      const sub = e.authenticatorFlow ? flows.get(e.flowAlias ?? '') : undefined;
      if (e.authenticatorFlow) {
        if (sub === undefined)
          throw new Error(`applyAuthenticationFlow: no sub-flow '${String(e.flowAlias)}'`);
        await am.addFlowToFlow({
          realm,
          flow: flow.alias,
          alias: sub.alias,
          type: 'basic-flow',
          provider: 'registration-page-form',
          description: sub.description,
        });
      } else {
        await am.addExecutionToFlow({ realm, flow: flow.alias, provider: e.authenticator! });
      }
      // The execution just added is the last direct one of the flow.
      const direct = (await am.getExecutions({ realm, flow: flow.alias })).filter((x) => x.level === 0);
      const added = direct[direct.length - 1];
      if (added?.id === undefined)
        throw new Error(`applyAuthenticationFlow: no execution added to '${flow.alias}'`);
      await am.updateExecution({ realm, flow: flow.alias }, { ...added, requirement: e.requirement });
      const config = e.authenticatorConfig !== undefined ? configs.get(e.authenticatorConfig) : undefined;
      if (e.authenticatorConfig !== undefined) {
        if (config === undefined)
          throw new Error(`applyAuthenticationFlow: no authenticator config '${e.authenticatorConfig}'`);
        await am.createConfig({ realm, id: added.id, alias: e.authenticatorConfig, config: { ...config } });
      }
      if (sub !== undefined) await fill(sub);
    }
  };
  await fill(top);
  return true;
}

/** The step-up parts of a realm representation, as applyRealm reads them back. */
export function stepUpPartsOf(desired: RealmRepresentation): StepUpRealmParts | undefined {
  const map = (desired.attributes as Record<string, string> | undefined)?.[ACR_LOA_MAP_ATTRIBUTE];
  if (map === undefined) return undefined;
  return {
    attributes: { [ACR_LOA_MAP_ATTRIBUTE]: map },
    ...(desired.authenticationFlows
      ? { authenticationFlows: desired.authenticationFlows as FlowRepresentation[] }
      : {}),
    ...(desired.authenticatorConfig
      ? { authenticatorConfig: desired.authenticatorConfig as AuthenticatorConfig[] }
      : {}),
    ...(desired.browserFlow ? { browserFlow: desired.browserFlow } : {}),
  };
}

/**
 * Adds the stage's step-up to a realm representation: `acr.loa.map`, the flow and its binding, and the
 * AMR mapper on the clients people sign in with (`clientIds`) when a level writes an `amr` value.
 */
export function addStepUp(
  realm: RealmRepresentation,
  options: StepUpFlowOptions,
  clientIds: readonly string[],
): void {
  const parts = stepUpRealmParts(options);
  realm.attributes = { ...(realm.attributes ?? {}), ...parts.attributes };
  if (parts.authenticationFlows) realm.authenticationFlows = parts.authenticationFlows;
  if (parts.authenticatorConfig) realm.authenticatorConfig = parts.authenticatorConfig;
  if (parts.browserFlow) realm.browserFlow = parts.browserFlow;
  if (!stepUpWritesAmr(options)) return;
  for (const client of realm.clients ?? []) {
    if (clientIds.includes(client.clientId ?? ''))
      client.protocolMappers = [...(client.protocolMappers ?? []), amrMapper()];
  }
}

type Note = (action: 'create' | 'update', kind: string, name: string) => void;

/** What applyStepUp does in a realm that does not exist yet: everything. */
export function planNewStepUp(parts: StepUpRealmParts, note: Note): void {
  note('create', 'realm attribute', ACR_LOA_MAP_ATTRIBUTE);
  if (parts.browserFlow !== undefined) note('create', 'authentication flow', parts.browserFlow);
}

/**
 * Brings an existing realm's step-up in line with the definition through the admin API: the realm
 * attribute `acr.loa.map`, the flow (created and bound when the realm has none of its alias; an existing
 * one is kept as it is, only bound). Returns how many of the three were already right. With
 * `dry`, only reads and notes.
 */
export async function applyStepUp(
  admin: KeycloakAdminClient,
  realm: string,
  parts: StepUpRealmParts,
  dry: boolean,
  note: Note,
): Promise<number> {
  let unchanged = 0;
  const current = await admin.realms.findOne({ realm });
  const map = parts.attributes[ACR_LOA_MAP_ATTRIBUTE];
  const currentMap = (current?.attributes as Record<string, unknown> | undefined)?.[ACR_LOA_MAP_ATTRIBUTE];
  if (currentMap !== map) {
    if (!dry)
      await admin.realms.update(
        { realm },
        { attributes: { ...(current?.attributes ?? {}), [ACR_LOA_MAP_ATTRIBUTE]: map } },
      );
    note(currentMap === undefined ? 'create' : 'update', 'realm attribute', ACR_LOA_MAP_ATTRIBUTE);
  } else unchanged++;
  const alias = parts.browserFlow;
  if (alias === undefined) return unchanged;
  const exists = (await admin.authenticationManagement.getFlows({ realm })).some((f) => f.alias === alias);
  if (!exists) {
    if (!dry) await applyAuthenticationFlow(admin, realm, parts, alias);
    note('create', 'authentication flow', alias);
  } else unchanged++;
  if (current?.browserFlow !== alias) {
    if (!dry) await admin.realms.update({ realm }, { browserFlow: alias });
    // A flow created just now is bound with it: one change.
    if (exists) note('update', 'browser flow', alias);
  } else unchanged++;
  return unchanged;
}
