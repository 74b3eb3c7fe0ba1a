/** The fixture itself: a real Keycloak answers on 127.0.0.1, and its bootstrap admin can use the admin API. */
import { describe, expect, it } from 'vitest';
import { adminClient, keycloakServer } from './keycloak-server';

describe('the Keycloak server under test', () => {
  it('publishes the master realm discovery document with its own URL as issuer', async () => {
    const { url } = keycloakServer();
    const res = await fetch(`${url}/realms/master/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { issuer: string; jwks_uri: string };
    expect(doc.issuer).toBe(`${url}/realms/master`);
    expect(doc.jwks_uri).toBe(`${url}/realms/master/protocol/openid-connect/certs`);
  });

  it('accepts the bootstrap admin on the admin API', async () => {
    const admin = await adminClient();
    const realms = await admin.realms.find();
    expect(realms.map((r) => r.realm)).toContain('master');
  });
});
