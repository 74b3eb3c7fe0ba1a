/**
 * The repository's app prepared for the local gateway, shared by `npm start` and `npm run demo`: the stage
 * configuration synthesized with the printed IAM test caller as a machine principal (and browser sign-in
 * when asked), and a real Keycloak realm provisioned under its own name.
 */
import type { StageConfig } from '../common/app-config';
import { INSECURE_HTTP_ISSUER } from '../common/authorizer-config';
import { routeKey } from '../common/route-model';
import type { OpenedKeycloak } from './keycloak-realm';
import { localStageRealm } from './sign-in-realm';

export const LOCAL_MACHINE_ROLE = 'keygate-local-machine';

/**
 * The configuration with the printed IAM test caller listed among the stage's machine principals (a role
 * of its own, allowed every IAM route of the stage), as a deployment lists a real role: the model backend
 * then lets it invoke models. With `signIn`, browser sign-in on (the stage's own settings if it has
 * them) and the result cache off, as the constructs require with it.
 */
export function withLocalMachine(
  config: unknown,
  name: string,
  stage: StageConfig,
  signIn: boolean,
): unknown {
  const c = config as { stages: Record<string, StageConfig> };
  // Streaming routes included: the stack grants them on the REST API, the only one that serves them.
  const routes = stage.routes.filter((r) => r.auth === 'iam').map((r) => routeKey(r));
  const roleArn = `arn:aws:iam::${stage.account ?? '000000000000'}:role/${LOCAL_MACHINE_ROLE}`;
  const own = c.stages[name];
  const withSignIn: StageConfig = signIn
    ? {
        ...own,
        browserSignIn: own.browserSignIn ?? {},
        authorizer: { ...own.authorizer, cacheTtlSeconds: 0 },
      }
    : own;
  return {
    ...c,
    stages: {
      ...c.stages,
      [name]: {
        ...withSignIn,
        ...(routes.length > 0
          ? { machinePrincipals: [...(stage.machinePrincipals ?? []), { roleArn, routes }] }
          : {}),
      },
    },
  };
}

export function passwordsOf(stage: StageConfig, password: string): Record<string, string> {
  return Object.fromEntries((stage.keycloak.testUsers ?? []).map((u) => [u.username, password]));
}

/**
 * The stage as a real realm sees it: named by its URL (its name may differ from the stage's), with the
 * development opt-in for a realm over http (a Keycloak on this machine), as the local gateway trusts it.
 */
export function realmStage(stage: StageConfig, realmUrl: string): StageConfig {
  return {
    ...stage,
    keycloak: {
      ...stage.keycloak,
      issuer: realmUrl.replace(/\/+$/, ''),
      ...(realmUrl.startsWith('http:') ? { [INSECURE_HTTP_ISSUER]: true } : {}),
    },
  };
}

/**
 * Passwords and secrets of a real realm: provisioned through the admin API (read back), or known from the
 * environment for a realm used as it is.
 */
export async function realmSecrets(
  keycloak: OpenedKeycloak | undefined,
  stage: StageConfig,
  password: string | undefined,
  signInUrls: readonly string[] | undefined,
): Promise<{ passwords: Record<string, string>; clientSecrets: Record<string, string> } | undefined> {
  if (!keycloak) return undefined;
  if (keycloak.options.provision) {
    const passwords = keycloak.passwords ?? (password ? passwordsOf(stage, password) : undefined);
    return keycloak.options.provision(
      localStageRealm(realmStage(stage, keycloak.options.realmUrl), {
        ...(passwords ? { passwords } : {}),
        ...(signInUrls ? { signInUrls } : {}),
      }),
    );
  }
  const known = keycloak.options.secrets;
  return { passwords: { ...known?.passwords }, clientSecrets: { ...known?.clientSecrets } };
}
