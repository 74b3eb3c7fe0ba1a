/** What `npm start` prints once the app is served: URLs, test users, secrets, IAM keys, commands to paste. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StageConfig } from '../common/app-config';
import type { ServedAssembly } from './assembly/serve-assembly';
import { keycloakRealmUrls } from './keycloak-urls';
import type { OpenedKeycloak } from './keycloak-realm';
import { readyCommands, variablesToSet } from './ready-commands';
import type { ReadyCommandsStack } from './ready-commands';
import { usageBannerLines } from './usage-banner';

export interface StartBannerInput {
  readonly name: string;
  readonly stage: StageConfig;
  readonly served: ServedAssembly;
  readonly keycloak?: OpenedKeycloak;
  /** A real realm's passwords and secrets, as far as they are known. */
  readonly secrets?: {
    readonly passwords: Record<string, string>;
    readonly clientSecrets: Record<string, string>;
  };
  /** Browser sign-in is served: the commands include opening /auth/login. @default false */
  readonly signIn?: boolean;
}

/** The issuer the commands call: the built-in one, or the real realm with what is known of its secrets. */
function issuerOf({
  served,
  keycloak,
  secrets,
}: StartBannerInput): ReadyCommandsStack['issuer'] & { issuer: string } {
  if (served.issuer) return served.issuer;
  const url = keycloak?.options.realmUrl.replace(/\/+$/, '') ?? served.issuerUrl ?? '';
  return {
    issuer: url,
    urls: keycloakRealmUrls(url),
    passwords: secrets?.passwords ?? {},
    clientSecrets: secrets?.clientSecrets ?? {},
  };
}

function writeCaFile(pem: string | undefined): string | undefined {
  if (!pem) return undefined;
  const file = join(mkdtempSync(join(tmpdir(), 'keygate-local-')), 'issuer-ca.pem');
  writeFileSync(file, pem, { mode: 0o644 });
  return file;
}

/** The banner's test users and service accounts, with their passwords and secrets as far as they are known. */
export function credentialLines(
  kc: StageConfig['keycloak'],
  issuer: {
    readonly passwords: Readonly<Record<string, string | undefined>>;
    readonly clientSecrets: Readonly<Record<string, string | undefined>>;
  },
): string[] {
  const known = (v: string | undefined) => v ?? '(not known: set up in your realm)';
  return [
    `Test users (people client ${kc.peopleClientId}, direct access grant):`,
    ...(kc.testUsers ?? []).map(
      (u) =>
        `  ${u.username.padEnd(12)} password ${known(issuer.passwords[u.username])}   realm roles: ${u.realmRoles.join(' ')}`,
    ),
    'Service accounts (client credentials):',
    ...(kc.serviceAccounts ?? []).map(
      (s) =>
        `  ${s.clientId.padEnd(12)} secret ${known(issuer.clientSecrets[s.clientId])}   client roles of ${kc.apiClientId}: ${s.clientRoles.join(' ')}`,
    ),
  ];
}

export function startBanner(input: StartBannerInput): string {
  const { name, stage, served, keycloak } = input;
  const issuer = issuerOf(input);
  const caFile = writeCaFile(served.issuer?.ca);
  const [first, ...others] = served.apis;
  const groups = readyCommands({
    stack: { issuer, gateway: { url: first.url }, iam: served.iam, stage, region: served.stack.region },
    caFile,
    signIn: input.signIn === true,
  });
  const toSet = variablesToSet(groups);
  const kc = stage.keycloak;
  return [
    '',
    `Keygate — stage '${name}', stack ${served.stack.name} (synthesized, served as \`keygate local\` serves any app)`,
    '',
    ...served.apis.map(
      ({ api, url }) =>
        `  ${api.kind === 'http' ? 'HTTP API' : 'REST API'} ${url}  (authorizer cache ${api.authorizer ? `${api.authorizer.cacheTtlSeconds} s` : 'none'}; ${api.routes.length} routes${api.routes.some((r) => r.unsupported) ? `, ${api.routes.filter((r) => r.unsupported).length} answering 501` : ''})`,
    ),
    `  ${keycloak ? 'keycloak' : 'issuer  '} ${issuer.issuer}`,
    ...(keycloak ? [`           ${keycloak.description}`] : []),
    `           discovery ${issuer.urls.discovery}`,
    ...(caFile ? [`           CA to trust: ${caFile}`] : []),
    ...served.issuers.slice(1).map((i) => `  issuer   ${i.issuer} (built-in, another trusted realm)`),
    '',
    ...credentialLines(kc, issuer),
    `IAM test credentials (SigV4, service execute-api, region ${served.stack.region}), every IAM route:`,
    `  access key ${served.iam.machine.accessKeyId}   secret ${served.iam.machine.secretAccessKey}`,
    ...usageBannerLines(served.usage),
    '',
    `Try it${others.length ? ` (on the ${first.api.kind.toUpperCase()} API; ${others.map((o) => `the ${o.api.kind.toUpperCase()} API at ${o.url}`).join(', ')} takes the same commands)` : ''}:`,
    ...(toSet.length
      ? [
          `  # first set ${toSet.join(' and ')} (values from your realm), or start with them set: the commands then carry them`,
        ]
      : []),
    ...groups.flatMap((g) => [`  # ${g.title}`, ...g.lines.map((l) => `  ${l}`)]),
    '',
    'Requests are logged below. Ctrl-C stops everything.',
    '',
  ].join('\n');
}
