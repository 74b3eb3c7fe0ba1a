/**
 * The ready-to-run commands `npm start` prints for a running stack (token fetch + curl), as data, so a test
 * can run exactly what a user would paste. Values the stack does not know (a password or secret of a
 * Keycloak realm it did not provision) are printed as shell variables the user sets first.
 */
import type { StageConfig } from '../common/app-config';
import type { StackIssuer } from './stack-issuer';
import type { LocalIamCredential } from './gateway/sigv4-check';

export interface CommandGroup {
  /** What the group shows, printed as a `#` comment line. */
  readonly title: string;
  /** Shell lines, run in order in one shell (later lines use the variables earlier ones set). */
  readonly lines: readonly string[];
}

/** What the commands name of a running stack (a LocalStack has it, and so has `npm start`'s served app). */
export interface ReadyCommandsStack {
  readonly issuer: Pick<StackIssuer, 'urls' | 'passwords' | 'clientSecrets'>;
  readonly gateway: { readonly url: string };
  readonly iam: { readonly machine: Pick<LocalIamCredential, 'accessKeyId' | 'secretAccessKey'> };
  readonly stage: StageConfig;
  readonly region: string;
}

export interface ReadyCommandsInput {
  readonly stack: ReadyCommandsStack;
  /** File holding the issuer's CA certificate, when it has one. */
  readonly caFile?: string;
  readonly signIn: boolean;
}

/** Single-quotes a value for POSIX shells. */
export const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Shell variables a user sets before the commands, when the stack does not know the values. */
export const PASSWORD_VAR = 'KEYGATE_TEST_PASSWORD';
export const SECRET_VAR = 'KEYGATE_CLIENT_SECRET';

export function readyCommands({ stack, caFile, signIn }: ReadyCommandsInput): CommandGroup[] {
  const { issuer, gateway, iam, stage } = stack;
  const kc = stage.keycloak;
  const token = issuer.urls.token;
  const cacert = caFile ? `--cacert ${shellQuote(caFile)} ` : '';
  const extract = `node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token'`;
  const firstUser = kc.testUsers?.[0]?.username;
  const firstSa = kc.serviceAccounts?.[0]?.clientId;
  const model = stage.models[0]?.id ?? 'sentiment';
  const groups: CommandGroup[] = [];
  if (firstUser) {
    const known = issuer.passwords[firstUser];
    const password = known !== undefined ? shellQuote(known) : `"$${PASSWORD_VAR}"`;
    groups.push({
      title: 'a person signs in and calls the API',
      lines: [
        `TOKEN=$(curl -s ${cacert}-d grant_type=password -d client_id=${kc.peopleClientId} -d username=${firstUser} -d password=${password} ${token} | ${extract})`,
        `curl -s -H "Authorization: Bearer $TOKEN" ${gateway.url}/models`,
        `curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"input":"I love this great product"}' ${gateway.url}/models/${model}/invoke`,
      ],
    });
  }
  if (firstSa) {
    const known = issuer.clientSecrets[firstSa];
    const user = known !== undefined ? shellQuote(`${firstSa}:${known}`) : `"${firstSa}:$${SECRET_VAR}"`;
    groups.push({
      title: 'a service account (client credentials)',
      lines: [
        `SA_TOKEN=$(curl -s ${cacert}-u ${user} -d grant_type=client_credentials ${token} | ${extract})`,
        `curl -s -H "Authorization: Bearer $SA_TOKEN" -H 'content-type: application/json' -d '{"input":"fine work"}' ${gateway.url}/models/${model}/invoke`,
      ],
    });
  }
  if (signIn && firstUser) {
    groups.push({
      title: 'a person in a browser (session cookie): open, sign in, land on /me; /auth/logout signs out',
      lines: [`${gateway.url}/auth/login?returnTo=%2Fme`],
    });
  }
  const sigv4 = `--aws-sigv4 'aws:amz:${stack.region}:execute-api' --user ${shellQuote(`${iam.machine.accessKeyId}:${iam.machine.secretAccessKey}`)}`;
  groups.push({
    title: 'a machine with AWS credentials (SigV4)',
    lines: [
      `curl -s ${sigv4} ${gateway.url}/machine/models`,
      `curl -s ${sigv4} -H 'content-type: application/json' -d '{"input":"works well"}' ${gateway.url}/machine/models/${model}/invoke`,
    ],
  });
  return groups;
}

/** The variables the printed commands expect the user to set (values the stack does not know). */
export function variablesToSet(groups: readonly CommandGroup[]): string[] {
  const text = groups.flatMap((g) => g.lines).join('\n');
  return [PASSWORD_VAR, SECRET_VAR].filter((v) => text.includes(`$${v}`));
}
