import { gunzipSync } from 'node:zlib';
import { Stack } from 'aws-cdk-lib';
import { describe, expect, test } from 'vitest';
import { authorizerConfigDigest } from '../../../common/authorizer-config';
import { encodeConfigForEnv } from '../../../lib/authorizer/config-env';
import type { AuthorizerConfigParts } from '../../../lib/authorizer/render-authorizer-config';
import {
  buildAuthorizerConfig,
  renderAuthorizerConfig,
} from '../../../lib/authorizer/render-authorizer-config';
import { TrustedIssuer } from '../../../lib/authorizer/trusted-issuer';

const realm = TrustedIssuer.keycloakRealm({
  issuerUrl: 'https://sso.example.com/realms/ml',
  allowedClients: ['web'],
});

/** Parts with enough routes that the configuration is gzipped. */
const PARTS: AuthorizerConfigParts = {
  issuers: [realm],
  routes: Array.from({ length: 40 }, (_, i) => ({
    method: 'GET' as const,
    path: `/reports/section-${i}`,
    auth: 'keycloak' as const,
    requirement: { anyOf: { realmRoles: [`reports-reader-section-${i}`] } },
  })),
  browserRoutes: [],
  tokenHeader: 'Authorization',
  responseMode: 'iam',
  resultCacheTtlSeconds: 300,
  runtimeOptions: {},
};

const decoded = (value: string): unknown =>
  JSON.parse(value.startsWith('gz:') ? gunzipSync(Buffer.from(value.slice(3), 'base64')).toString() : value);

describe('renderAuthorizerConfig', () => {
  test('stamps the configuration with the digest of the content it checked', () => {
    const config = buildAuthorizerConfig(PARTS);
    expect(decoded(renderAuthorizerConfig(new Stack(), PARTS))).toEqual({
      ...config,
      configDigest: authorizerConfigDigest(config),
    });
  });

  test('leaves the digest out when the configuration fits only without it (every check then runs at cold start)', () => {
    // GIVEN a budget the configuration fits, gzipped, with nothing to spare without its digest
    const config = buildAuthorizerConfig(PARTS);
    const json = JSON.stringify(config);
    const budget = encodeConfigForEnv(json, Buffer.byteLength(json) - 1)!.length;
    // WHEN it is rendered within that budget
    const value = renderAuthorizerConfig(new Stack(), PARTS, budget);
    // THEN it is the configuration without its digest
    expect(value.length).toBeLessThanOrEqual(budget);
    expect(decoded(value)).toEqual(config);
    // and one byte less does not fit at all
    expect(() => renderAuthorizerConfig(new Stack(), PARTS, budget - 1)).toThrow(
      /does not fit in Lambda's 4 KB environment even gzipped/,
    );
  });
});
