/**
 * `npm run demo`'s stage, served as `npm start` serves it: synthesized (once per stage configuration in
 * this process) and served by the local gateway from the assembly, with the built-in issuer or the real
 * realm, as the demo's callers see it.
 */
import type { StageConfig } from '../common/app-config';
import type { CallerStack } from './callers';
import { keycloakRealmUrls } from './keycloak-urls';
import type { LocalIamCredential } from './gateway/sigv4-check';
import type { LocalIssuer } from './issuer';
import type { OpenedKeycloak } from './keycloak-realm';
import type { realmSecrets } from './stage-assembly';
import { serveStage } from './serve-stage';
import type { ServeStageOptions } from './serve-stage';

/** The served app's API as the callers see it: its issuer (built-in or the real realm), its IAM callers. */
export interface DemoStack extends CallerStack {
  readonly issuer: CallerStack['issuer'] & {
    readonly issuer: string;
    readonly mint?: LocalIssuer['mint'];
  };
  readonly stage: StageConfig;
  readonly iam: { readonly machine: LocalIamCredential; readonly outsider: LocalIamCredential };
  close(): Promise<void>;
}

/** What every section of the demo shares: the stage's name, the realm, its test users' passwords. */
export interface DemoContext {
  readonly name: string;
  readonly keycloak?: OpenedKeycloak;
  readonly passwords?: Readonly<Record<string, string>>;
  /** A real realm's passwords and secrets (undefined: the built-in issuer). */
  readonly secrets?: Awaited<ReturnType<typeof realmSecrets>>;
}

/** Serves `stage` (only the `api` API) from its synthesized app (once per stage configuration). */
export async function serveDemoStage(
  ctx: DemoContext,
  stage: StageConfig,
  api: 'http' | 'rest',
  extra: Partial<ServeStageOptions> = {},
): Promise<DemoStack> {
  const served = await serveStage({
    stage,
    name: ctx.name,
    apiKinds: [api],
    ...(ctx.keycloak ? { keycloak: ctx.keycloak.options.realmUrl } : {}),
    ...(ctx.passwords ? { passwords: ctx.passwords } : {}),
    ...extra,
  });
  const realmUrl = served.issuerUrl ?? '';
  return {
    issuer: served.issuer ?? {
      issuer: realmUrl,
      urls: keycloakRealmUrls(realmUrl),
      passwords: ctx.secrets?.passwords ?? {},
      clientSecrets: ctx.secrets?.clientSecrets ?? {},
    },
    stage,
    gateway: { url: served.apis[0].url },
    region: served.stack.region,
    iam: served.iam,
    close: () => served.close(),
  };
}
