/**
 * `npm start -- --keycloak <realm URL>` without admin credentials: the realm is used as it is, so the stack
 * knows a password or a client secret only when it was started with KEYGATE_TEST_PASSWORD or
 * KEYGATE_CLIENT_SECRET set; the printed commands then carry the values and run as printed, and name the
 * variables to set only for what the stack does not know.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { keycloakRealmUrls } from '../../local/keycloak-urls';
import { openKeycloak } from '../../local/keycloak-realm';
import { readyCommands, variablesToSet } from '../../local/ready-commands';
import type { ReadyCommandsStack } from '../../local/ready-commands';

const stage = DEFAULT_APP_CONFIG.stages.dev;
const REALM_URL = 'http://127.0.0.1:8080/realms/mine';

async function commandsFor(env: { testPassword?: string; clientSecret?: string }) {
  const opened = await openKeycloak({ target: REALM_URL, stage, ...env });
  const secrets = opened.options.secrets!;
  const stack: ReadyCommandsStack = {
    issuer: { urls: keycloakRealmUrls(REALM_URL), ...secrets },
    gateway: { url: 'http://127.0.0.1:8080' },
    iam: { machine: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' } },
    stage,
    region: stage.region,
  };
  return readyCommands({ stack, signIn: false });
}

describe('printed commands for a realm used as it is', () => {
  it('carry the password and the secret given at start, so they run as printed', async () => {
    const groups = await commandsFor({ testPassword: 'pw-1', clientSecret: 'sec-1' });
    expect(variablesToSet(groups)).toEqual([]);
    const text = groups.flatMap((g) => g.lines).join('\n');
    expect(text).toContain("-d password='pw-1'");
    expect(text).toContain(`-u '${stage.keycloak.serviceAccounts![0].clientId}:sec-1'`);
  });

  it('name the variables to set for what the stack does not know', async () => {
    expect(variablesToSet(await commandsFor({}))).toEqual(['KEYGATE_TEST_PASSWORD', 'KEYGATE_CLIENT_SECRET']);
    expect(variablesToSet(await commandsFor({ testPassword: 'pw' }))).toEqual(['KEYGATE_CLIENT_SECRET']);
  });
});
