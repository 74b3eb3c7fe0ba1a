/**
 * `npm start [-- --stage <name>] [--config <file>] [--api http|rest] [--sign-in] [--verbose]`: the whole stack on
 * 127.0.0.1 — the local issuer (default port 8443, env KEYGATE_ISSUER_PORT), the gateway (default 8080,
 * env KEYGATE_GATEWAY_PORT) with the real authorizer and backend — then the URLs and ready-to-run
 * commands. Test-user passwords, client secrets and IAM test keys are made for this run only (set
 * KEYGATE_TEST_PASSWORD, KEYGATE_LOCAL_ACCESS_KEY_ID and KEYGATE_LOCAL_SECRET_ACCESS_KEY to fix them).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCli } from '../realm/cli-args';
import { loadAppConfig, selectStage } from '../realm/stage-config';
import { startLocalStack } from './gateway/local-stack';
import type { ApiType } from './gateway/api-events';

function port(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${name} must be a port number (0-65535), got '${v}'`);
  return n;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

async function main(): Promise<void> {
  const args = parseCli(process.argv.slice(2), {
    stage: { type: 'string' },
    config: { type: 'string' },
    api: { type: 'string' },
    verbose: { type: 'boolean' },
    'sign-in': { type: 'boolean' },
  });
  const api = (args.api ?? 'http') as ApiType;
  if (api !== 'http' && api !== 'rest') throw new Error(`--api must be 'http' or 'rest', got '${args.api}'`);
  const { name, stage } = selectStage(loadAppConfig(args.config), args.stage);
  const password = process.env.KEYGATE_TEST_PASSWORD;
  const keyId = process.env.KEYGATE_LOCAL_ACCESS_KEY_ID;
  const secret = process.env.KEYGATE_LOCAL_SECRET_ACCESS_KEY;
  if ((keyId === undefined) !== (secret === undefined)) {
    throw new Error('set both KEYGATE_LOCAL_ACCESS_KEY_ID and KEYGATE_LOCAL_SECRET_ACCESS_KEY, or neither');
  }

  const stack = await startLocalStack({
    stage,
    apiType: api,
    issuerPort: port('KEYGATE_ISSUER_PORT', 8443),
    gatewayPort: port('KEYGATE_GATEWAY_PORT', 8080),
    passwords: password
      ? Object.fromEntries((stage.keycloak.testUsers ?? []).map((u) => [u.username, password]))
      : undefined,
    machineCredential: keyId && secret ? { accessKeyId: keyId, secretAccessKey: secret } : undefined,
    verboseLogs: args.verbose === true,
    signIn: args['sign-in'] === true,
    onRequest: (r) => {
      const why = r.authorizerReason ? `${r.reason} (authorizer: ${r.authorizerReason})` : r.reason;
      const cached = r.cacheHit ? ' [cached]' : '';
      console.log(
        `${new Date().toISOString()}  ${r.method} ${r.path} -> ${r.status}  ${why}${cached}  ${r.durationMs} ms`,
      );
    },
  });

  const dir = mkdtempSync(join(tmpdir(), 'keygate-local-'));
  const caFile = join(dir, 'issuer-ca.pem');
  writeFileSync(caFile, stack.issuer.ca ?? '', { mode: 0o644 });
  const { issuer, gateway, iam } = stack;
  const kc = stage.keycloak;
  const users = kc.testUsers ?? [];
  const sas = kc.serviceAccounts ?? [];
  const token = issuer.urls.token;
  const extract = `node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token'`;
  const firstUser = users[0]?.username;
  const firstSa = sas[0]?.clientId;
  const model = stage.models[0]?.id ?? 'sentiment';

  const lines: string[] = [
    '',
    `Keygate local stack — stage '${name}', ${api === 'http' ? 'HTTP API (payload 2.0)' : 'REST API'}, authorizer cache ${stack.gateway.cache.enabled ? `${stage.authorizer?.cacheTtlSeconds ?? 300} s` : 'off'}`,
    '',
    `  issuer   ${issuer.issuer}`,
    `           discovery ${issuer.urls.discovery}`,
    `           CA to trust: ${caFile}`,
    `  gateway  ${gateway.url}`,
    '',
    'Test users (people client ' + kc.peopleClientId + ', direct access grant):',
    ...users.map(
      (u) =>
        `  ${u.username.padEnd(12)} password ${issuer.passwords[u.username]}   realm roles: ${u.realmRoles.join(' ')}`,
    ),
    'Service accounts (client credentials):',
    ...sas.map(
      (s) =>
        `  ${s.clientId.padEnd(12)} secret ${issuer.clientSecrets[s.clientId]}   client roles of ${kc.apiClientId}: ${s.clientRoles.join(' ')}`,
    ),
    'IAM test credentials (SigV4, service execute-api, region ' + stack.region + '):',
    `  ${iam.machine.callerArn}   may call: ${iam.machine.routes.join(', ') || 'nothing'}`,
    `  access key ${iam.machine.accessKeyId}   secret ${iam.machine.secretAccessKey}`,
    '',
    'Try it:',
  ];
  if (firstUser) {
    lines.push(
      '  # a person signs in and calls the API',
      `  TOKEN=$(curl -s --cacert ${q(caFile)} -d grant_type=password -d client_id=${kc.peopleClientId} -d username=${firstUser} -d password=${q(issuer.passwords[firstUser])} ${token} | ${extract})`,
      `  curl -s -H "Authorization: Bearer $TOKEN" ${gateway.url}/models`,
      `  curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"input":"I love this great product"}' ${gateway.url}/models/${model}/invoke`,
    );
  }
  if (firstSa) {
    lines.push(
      '  # a service account (client credentials)',
      `  SA_TOKEN=$(curl -s --cacert ${q(caFile)} -u ${q(`${firstSa}:${issuer.clientSecrets[firstSa]}`)} -d grant_type=client_credentials ${token} | ${extract})`,
      `  curl -s -H "Authorization: Bearer $SA_TOKEN" -H 'content-type: application/json' -d '{"input":"fine work"}' ${gateway.url}/models/${model}/invoke`,
    );
  }
  if (args['sign-in'] && firstUser) {
    lines.push(
      '  # a person in a browser (session cookie): open, sign in, land on /me; /auth/logout signs out',
      `  ${gateway.url}/auth/login?returnTo=%2Fme`,
    );
  }
  lines.push(
    '  # a machine with AWS credentials (SigV4)',
    `  curl -s --aws-sigv4 'aws:amz:${stack.region}:execute-api' --user ${q(`${iam.machine.accessKeyId}:${iam.machine.secretAccessKey}`)} ${gateway.url}/machine/models`,
    `  curl -s --aws-sigv4 'aws:amz:${stack.region}:execute-api' --user ${q(`${iam.machine.accessKeyId}:${iam.machine.secretAccessKey}`)} -H 'content-type: application/json' -d '{"input":"works well"}' ${gateway.url}/machine/models/${model}/invoke`,
    '',
    'Requests are logged below. Ctrl-C stops everything.',
    '',
  );
  console.log(lines.join('\n'));

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void stack.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  if ((e as { code?: string })?.code === 'EADDRINUSE') {
    const port = (e as { port?: number }).port;
    console.error(
      `port ${port ?? ''} on 127.0.0.1 is in use: set KEYGATE_ISSUER_PORT / KEYGATE_GATEWAY_PORT to free ports (0 = any)`,
    );
  } else {
    console.error(e instanceof Error ? e.message : String(e));
  }
  process.exit(1);
});
