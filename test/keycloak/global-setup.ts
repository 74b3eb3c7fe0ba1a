/**
 * Global setup of the real-Keycloak suite: bundles the Lambda functions (the suite drives the authorizer
 * bundle as `cdk synth` deploys it), then starts ONE Keycloak for the whole run, or uses the server that
 * `KEYCLOAK_URL` names (admin credentials from KEYCLOAK_ADMIN_USER / KEYCLOAK_ADMIN_PASSWORD, default
 * admin / admin). The server is stopped when the run ends.
 *
 * The server it starts also listens on HTTPS and asks for client certificates (certificate-bound tokens,
 * test/keycloak/mtls-bound.test.ts): a CA made for this run signs its server certificate and the tests'
 * client certificates, and is its truststore.
 */
import * as fs from 'node:fs';
import type { TestProject } from 'vitest/node';
import { buildLambdas } from '../../scripts/build-lambdas';
import { KEYCLOAK_VERSION, startKeycloak } from '../../scripts/keycloak';
import { testCa, issueCertificate } from '../support/test-pki';
import { importRealms } from './import-realms';
import type { KeycloakUnderTest } from './keycloak-server';
import { synthesizedAuthorizerConfig, TEMPLATE_STAGE } from './support';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await buildLambdas();
  // One `cdk synth` of the authorizer's configuration for the whole run (see support.ts TEMPLATE_STAGE).
  project.provide('synthesizedAuthorizerConfig', synthesizedAuthorizerConfig(TEMPLATE_STAGE));
  const external = process.env.KEYCLOAK_URL;
  if (external) {
    const info: KeycloakUnderTest = {
      url: external.replace(/\/+$/, ''),
      admin: {
        username: process.env.KEYCLOAK_ADMIN_USER ?? 'admin',
        password: process.env.KEYCLOAK_ADMIN_PASSWORD ?? 'admin',
      },
      local: false,
      imported: {},
    };
    project.provide('keycloak', info);
    return async () => {};
  }
  // The exported realms are imported at start, as a user's `--import-realm` would; the test reads the log.
  const realms = await importRealms();
  const ca = await testCa('Keygate Keycloak suite CA');
  const tls = await issueCertificate(ca, '127.0.0.1', 'server');
  const server = await startKeycloak({
    importRealms: realms,
    https: { certificate: tls.cert, key: tls.key, clientCas: ca.cert },
    log: (l) => console.log(l),
  });
  console.log(
    `Keycloak ${KEYCLOAK_VERSION} ready in ${(server.startMs / 1000).toFixed(1)} s at ${server.url}`,
  );
  project.provide('keycloak', {
    url: server.url,
    ...(server.httpsUrl ? { mtls: { httpsUrl: server.httpsUrl, ca } } : {}),
    admin: server.admin,
    local: true,
    logFile: server.logFile,
    imported: Object.fromEntries(realms.map((r) => [r.file, r.json])),
  });
  return async () => {
    // Keep the server log of a run for a look after the fact, outside the removed server copy.
    fs.copyFileSync(
      server.logFile,
      `${server.logFile.replace(/\/runs\/[^/]+\/server\.log$/, '')}/last-server.log`,
    );
    await server.stop();
  };
}
