/**
 * The issuers an assembly's authorizers trust, locally: a built-in issuer standing in for each Keycloak
 * realm of the authorizers' `KEYGATE_CONFIG`, or a real Keycloak realm for the first one. The functions'
 * configs name the local realms instead of the deployed ones (withLocalIssuer), so tokens verify without
 * changing the app.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeycloakRealmConfig } from '../../common/app-config';
import type { AuthorizerConfig, KeycloakIssuerConfig } from '../../common/authorizer-config';
import { AUTHORIZER_CONFIG_ENV } from '../../common/authorizer-config';
import { startLocalIssuer } from '../issuer';
import { loopbackCertificate } from '../issuer/tls';
import type { LocalIssuer, RealmRepresentation } from '../issuer';
import type { AssemblyStack } from './assembly-model';
import { AssemblyError } from './assembly-model';
import { keycloakIssuersOf, realmForIssuer, withLocalIssuer } from './assembly-issuer';
import { isKeycloakRealmIssuer } from './jwt-authorizer-oidc';
import { startHttpsFront } from './https-front';
import type { HttpsFront } from './https-front';
import { isLoopbackUrl } from '../../common/field-checks';

export interface LocalTrustOptions {
  /**
   * A real Keycloak realm URL trusted in place of the first deployed realm, instead of a built-in issuer:
   * https, or http on a loopback address (its keys then reach the authorizer through an https front,
   * https-front.ts). @default - built-in issuers
   */
  readonly keycloak?: string;
  /** PEM file of the CA that signed the Keycloak's certificate. @default - the system's CAs */
  readonly keycloakCaFile?: string;
  /** The first built-in issuer's port; the next issuers take any free port. @default 0 (any free port) */
  readonly issuerPort?: number;
  /**
   * The realm a built-in issuer serves in place of a deployed one (by its deployed issuer URL), e.g. a
   * stage's realm definition with its own test users. @default - a realm made from the authorizer's config
   */
  readonly realms?: Readonly<Record<string, RealmRepresentation | KeycloakRealmConfig>>;
  /** Test-user passwords of the built-in issuers, by username. @default - random per run */
  readonly passwords?: Readonly<Record<string, string>>;
}

/** One deployed realm and what stands in for it locally. */
export interface LocalRealm {
  readonly deployed: string;
  /** The local realm URL the functions' configs name instead. */
  readonly url: string;
  /** The built-in issuer serving it (undefined for a real Keycloak realm). */
  readonly issuer?: LocalIssuer;
  /** An http realm's keys over https (https-front.ts), named as the issuer's `jwksUri`. */
  readonly front?: HttpsFront;
}

export interface LocalTrust {
  readonly realms: readonly LocalRealm[];
  /** A file with the CA certificates to trust, for the functions' NODE_EXTRA_CA_CERTS. */
  readonly caFile?: string;
  /** The PEM of `keycloakCaFile`, for the gateway's own fetches from the real realm. */
  readonly keycloakCa?: string;
  /** The config an authorizer function receives: every deployed realm replaced by its local one. */
  localConfig(raw: string): string;
  /** The config a sign-in function receives: its issuer replaced by the local realm. */
  localSignInConfig(raw: string): string;
  close(): Promise<void>;
}

/** The Keygate configs of the stack's authorizers, in the order of their APIs. */
export function keygateConfigsOf(stack: AssemblyStack): AuthorizerConfig[] {
  const configs: AuthorizerConfig[] = [];
  for (const id of new Set(stack.apis.flatMap((api) => api.authorizers.map((a) => a.functionId)))) {
    const fn = id ? stack.functions[id] : undefined;
    const raw = fn?.environment[AUTHORIZER_CONFIG_ENV];
    // An unreadable config marks its function unsupported (read-assembly.ts): its routes answer 501.
    if (!raw || fn?.unsupported) continue;
    configs.push(JSON.parse(raw) as AuthorizerConfig);
  }
  return configs;
}

/**
 * Every Keycloak realm the stack's authorizers trust (once each), with the routes that name it: those of
 * the Keygate authorizers' configs, then the issuers of HTTP API JWT authorizers (their audiences as clients).
 */
function trustedRealms(
  stack: AssemblyStack,
): { issuer: KeycloakIssuerConfig; config: Pick<AuthorizerConfig, 'routes'> }[] {
  const seen = new Map<string, { issuer: KeycloakIssuerConfig; config: Pick<AuthorizerConfig, 'routes'> }>();
  for (const config of keygateConfigsOf(stack)) {
    for (const issuer of keycloakIssuersOf(config))
      if (!seen.has(issuer.issuer)) seen.set(issuer.issuer, { issuer, config });
  }
  for (const jwt of stack.apis.flatMap((api) => api.authorizers.flatMap((a) => (a.jwt ? [a.jwt] : [])))) {
    // Other OpenID Connect issuers are used as deployed (jwt-authorizer-oidc.ts).
    if (seen.has(jwt.issuer) || !isKeycloakRealmIssuer(jwt.issuer)) continue;
    // A people client of its own; the first audience is the API client whose audience mapper fills `aud`.
    seen.set(jwt.issuer, {
      issuer: {
        kind: 'keycloak',
        issuer: jwt.issuer,
        allowedClients: ['local-web'],
        allowedAudiences: [...jwt.audience],
        ...(jwt.audience[0] ? { roleClients: [jwt.audience[0]] } : {}),
      },
      config: { routes: [] },
    });
  }
  return [...seen.values()];
}

export async function startLocalTrust(stack: AssemblyStack, options: LocalTrustOptions): Promise<LocalTrust> {
  const trusted = trustedRealms(stack);
  const realms: LocalRealm[] = [];
  const close = async () => {
    for (const r of realms) {
      await r.issuer?.close();
      await r.front?.close();
    }
  };
  // One certificate for every built-in issuer: two self-signed certificates of the same subject in one
  // trust store would be chosen between by name, and one issuer's would fail the other's connections.
  const tls =
    trusted.length > 1 || options.keycloak?.startsWith('http:') ? await loopbackCertificate() : undefined;
  try {
    for (const [i, { issuer, config }] of trusted.entries()) {
      if (i === 0 && options.keycloak) {
        const url = realKeycloakUrl(options.keycloak);
        const front = url.startsWith('http:') ? await startHttpsFront(url, tls) : undefined;
        realms.push({ deployed: issuer.issuer, url, ...(front ? { front } : {}) });
        continue;
      }
      const local = await startLocalIssuer({
        realm: options.realms?.[issuer.issuer] ?? realmForIssuer(issuer, config),
        port: i === 0 ? (options.issuerPort ?? 0) : 0,
        ...(tls ? { tls } : {}),
        ...(options.passwords ? { passwords: options.passwords } : {}),
      });
      realms.push({ deployed: issuer.issuer, url: local.issuer, issuer: local });
    }
  } catch (e) {
    await close();
    throw e;
  }
  const caFile = caFileOf(realms, options.keycloakCaFile);
  return {
    realms,
    ...(caFile ? { caFile } : {}),
    ...(options.keycloakCaFile ? { keycloakCa: readFileSync(options.keycloakCaFile, 'utf8') } : {}),
    localConfig: (raw) => JSON.stringify(withHttpsKeys(localized(raw, realms), realms)),
    localSignInConfig: (raw) => {
      const config = JSON.parse(raw) as { issuer?: string };
      const realm = realms.find((r) => r.deployed === config.issuer);
      return JSON.stringify(realm ? { ...config, issuer: realm.url } : config);
    },
    close,
  };
}

function localized(raw: string, realms: readonly LocalRealm[]): AuthorizerConfig {
  return realms.reduce(
    (config, r) => withLocalIssuer(config, r.deployed, r.url),
    JSON.parse(raw) as AuthorizerConfig,
  );
}

/** An http realm's issuer with the https front's JWKS URI (the app's authorizer fetches keys over https only). */
function withHttpsKeys(config: AuthorizerConfig, realms: readonly LocalRealm[]): AuthorizerConfig {
  return {
    ...config,
    issuers: config.issuers.map((i) => {
      const front = i.kind === 'keycloak' ? realms.find((r) => r.url === i.issuer)?.front : undefined;
      return front ? { ...i, jwksUri: front.jwksUri } : i;
    }),
  };
}

/**
 * A realm URL (`<base>/realms/<name>`): https, or http on a loopback address (a development Keycloak on
 * this machine), whose keys the authorizer then fetches through the https front.
 */
function realKeycloakUrl(url: string): string {
  const realm = /^https?:\/\/[^/]+(?:\/[^/]+)*\/realms\/[^/]+\/?$/.test(url);
  if (!realm || (url.startsWith('http:') && !isLoopbackUrl(url))) {
    throw new AssemblyError(
      `--keycloak takes the URL of a realm (https://host/realms/<name>, or http on a loopback address such as http://127.0.0.1:8080/realms/<name>), got '${url}'`,
    );
  }
  return url.replace(/\/+$/, '');
}

/** One PEM file with every built-in issuer's certificate and the user's Keycloak CA. */
function caFileOf(realms: readonly LocalRealm[], keycloakCaFile: string | undefined): string | undefined {
  const pems = [
    ...new Set(realms.flatMap((r) => [r.issuer?.ca, r.front?.ca].filter((p) => p !== undefined))),
  ];
  if (pems.length === 0) return keycloakCaFile;
  const extra = keycloakCaFile ? [readFileSync(keycloakCaFile, 'utf8')] : [];
  const file = join(mkdtempSync(join(tmpdir(), 'keygate-local-')), 'issuer-ca.pem');
  writeFileSync(file, [...pems, ...extra].join('\n'), { mode: 0o644 });
  return file;
}
