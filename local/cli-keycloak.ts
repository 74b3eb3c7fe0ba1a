/**
 * `--keycloak`, `--admin-user`, `--admin-password-env` and KEYGATE_CLIENT_SECRET as `npm start`
 * (local/start.ts) reads them.
 */
import type { StageConfig } from '../common/app-config';
import { adminFromArgs, openKeycloakForCli } from './keycloak-realm';
import type { OpenedKeycloak } from './keycloak-realm';
import { SECRET_VAR } from './ready-commands';

export interface KeycloakCliArgs {
  readonly keycloak?: string;
  readonly 'admin-user'?: string;
  readonly 'admin-password-env'?: string;
}

/** The Keycloak the command line names, opened (and provisioned when an admin is given); none without it. */
export function keycloakFromArgs(
  args: KeycloakCliArgs,
  stage: StageConfig,
  testPassword: string | undefined,
): Promise<OpenedKeycloak | undefined> {
  if (!args.keycloak) return Promise.resolve(undefined);
  return openKeycloakForCli({
    target: args.keycloak,
    stage,
    admin: adminFromArgs(args['admin-user'], args['admin-password-env']),
    testPassword,
    clientSecret: process.env[SECRET_VAR],
    log: (line) => console.log(line),
  });
}
