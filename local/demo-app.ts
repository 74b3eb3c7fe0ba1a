/**
 * `npm run demo`'s stage, served as `npm start` serves it: synthesized (once per stage configuration in
 * this process) and served by the local gateway from the assembly, with the built-in issuer or the real
 * realm, as the demo's callers see it.
 */
import type { StageConfig } from '../common/app-config';
import { serveAssembly } from './assembly/serve-assembly';
import type { ServeAssemblyOptions, ServedAssembly } from './assembly/serve-assembly';
import type { CallerStack } from './callers';
import { keycloakRealmUrls } from './gateway/local-stack';
import type { LocalIamCredential } from './gateway/sigv4-check';
import type { LocalIssuer } from './issuer';
import type { OpenedKeycloak } from './keycloak-realm';
import { localStageRealm } from './sign-in-realm';
import { LOCAL_MACHINE_ROLE, withLocalMachine } from './stage-assembly';
import type { realmSecrets } from './stage-assembly';
import { synthKeygateApp } from './synth-app';

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

/**
 * Synthesized assemblies by stage configuration: the walk-through and the result-cache section serve the
 * same app; a synthesis costs seconds of CPU. Bounded by the demo's sections (three stages at most).
 */
const assemblies = new Map<string, Promise<{ assembly: string; stack: string }>>();

function synthesized(ctx: DemoContext, stage: StageConfig) {
  const key = JSON.stringify(stage);
  let found = assemblies.get(key);
  if (!found) {
    found = synthKeygateApp(
      withLocalMachine({ stages: { [ctx.name]: stage } }, ctx.name, stage, false),
      ctx.name,
    );
    assemblies.set(key, found);
  }
  return found;
}

/** Serves `stage` (only the `api` API) from its synthesized app. */
export async function serveDemoStage(
  ctx: DemoContext,
  stage: StageConfig,
  api: 'http' | 'rest',
  extra: Partial<ServeAssemblyOptions> = {},
): Promise<DemoStack> {
  const app = await synthesized(ctx, stage);
  const account = stage.account ?? '000000000000';
  const served: ServedAssembly = await serveAssembly({
    app: app.assembly,
    stack: app.stack,
    apiKinds: [api],
    ...(ctx.keycloak ? { keycloak: ctx.keycloak.options.realmUrl } : {}),
    realms: {
      [stage.keycloak.issuer]: localStageRealm(stage, ctx.passwords ? { passwords: ctx.passwords } : {}),
    },
    ...(ctx.passwords ? { passwords: ctx.passwords } : {}),
    machineCredential: {
      callerArn: `arn:aws:sts::${account}:assumed-role/${LOCAL_MACHINE_ROLE}/local`,
      callerId: 'AROALOCALKEYGATEMACH:local',
    },
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
