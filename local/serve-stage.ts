/**
 * A stage of the repository's app served the way `keygate local` serves any app: synthesized into a cloud
 * assembly (synth-app.ts) with the local IAM test caller among its machine principals (and browser sign-in
 * when asked), then served by `serveAssembly` with the stage's realm (its test users and service accounts)
 * in the built-in issuer. `npm start`, `npm run demo`, the gateway benchmark and the tests all serve the
 * app through here, so there is one local path.
 */
import type { StageConfig } from '../common/app-config';
import { serveAssembly } from './assembly/serve-assembly';
import type { ServeAssemblyOptions, ServedApi, ServedAssembly } from './assembly/serve-assembly';
import { localStageRealm } from './sign-in-realm';
import { LOCAL_MACHINE_ROLE, withLocalMachine } from './stage-assembly';
import { synthKeygateApp } from './synth-app';
import { sharedSynth } from './synth-cache';

export interface ServeStageOptions extends Omit<ServeAssemblyOptions, 'app' | 'stack'> {
  readonly stage: StageConfig;
  /** The stage's name in the app config. @default 'dev' */
  readonly name?: string;
  /**
   * The whole app config the stage belongs to (other stages, defaultStage); `stage` replaces the one
   * named `name`. @default - an app config of this one stage
   */
  readonly config?: unknown;
  /** Browser sign-in on (the stage's own settings if it has them) and the result cache off. @default false */
  readonly signIn?: boolean;
  /** The gateways' base URLs the realm allows as sign-in callbacks (their ports fixed beforehand). */
  readonly signInUrls?: readonly string[];
  /** Build the Lambda bundles before synthesizing. @default true */
  readonly buildLambdas?: boolean;
}

export interface ServedStage extends ServedAssembly {
  readonly name: string;
  readonly stage: StageConfig;
  /** The cloud assembly folder served (in a test run shared with other files: read it, never change it). */
  readonly assembly: string;
  /** The served API of that kind; throws when the stage serves none. */
  api(kind: 'http' | 'rest'): ServedApi;
}

/** The options that choose what to synthesize; the rest are `serveAssembly`'s. */
const STAGE_ONLY = new Set(['stage', 'name', 'config', 'signIn', 'signInUrls', 'buildLambdas']);

/**
 * Synthesized assemblies by (config, stage, sign-in): serving the same stage twice in one process
 * synthesizes it once (a synthesis costs seconds of CPU). Bounded by the distinct stages a process serves.
 */
const assemblies = new Map<string, Promise<{ assembly: string; stack: string }>>();

function synthesized(options: ServeStageOptions, name: string) {
  const signIn = options.signIn === true;
  const config = (options.config as { stages?: Record<string, StageConfig> } | undefined) ?? {};
  const app = { ...config, stages: { ...(config.stages ?? {}), [name]: options.stage } };
  const key = JSON.stringify([app, name, signIn]);
  let found = assemblies.get(key);
  if (!found) {
    found = sharedSynth(key, (outdir) =>
      synthKeygateApp(withLocalMachine(app, name, options.stage, signIn), name, outdir, {
        buildLambdas: options.buildLambdas ?? true,
      }),
    );
    // A failed synthesis is not kept: the next call tries again and reports its own error.
    found.catch(() => assemblies.delete(key));
    assemblies.set(key, found);
  }
  return found;
}

/** Synthesizes `options.stage` (once per process) and serves it; close() stops every server. */
export async function serveStage(options: ServeStageOptions): Promise<ServedStage> {
  const name = options.name ?? 'dev';
  const { stage } = options;
  const app = await synthesized(options, name);
  const account = stage.account ?? '000000000000';
  const signInUrls = options.signInUrls;
  const serve: ServeAssemblyOptions = Object.fromEntries(
    Object.entries(options).filter(([k]) => !STAGE_ONLY.has(k)),
  );
  const served = await serveAssembly({
    realms: {
      [stage.keycloak.issuer]: localStageRealm(stage, {
        ...(options.passwords ? { passwords: options.passwords } : {}),
        ...(signInUrls ? { signInUrls } : {}),
      }),
    },
    ...serve,
    app: app.assembly,
    stack: app.stack,
    machineCredential: {
      callerArn: `arn:aws:sts::${account}:assumed-role/${LOCAL_MACHINE_ROLE}/local`,
      callerId: 'AROALOCALKEYGATEMACH:local',
      ...(options.machineCredential ?? {}),
    },
  });
  return {
    ...served,
    name,
    stage,
    assembly: app.assembly,
    api(kind) {
      const found = served.apis.find((a) => a.api.kind === kind);
      if (!found) throw new Error(`stage ${name} serves no ${kind.toUpperCase()} API here`);
      return found;
    },
  };
}
