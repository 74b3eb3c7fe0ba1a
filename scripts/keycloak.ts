/**
 * A real Keycloak server for tests and the local stack, owned by the project.
 *
 *   npx tsx scripts/keycloak.ts            fetch (once), start on 127.0.0.1, print the URL, stop on Ctrl-C
 *   npx tsx scripts/keycloak.ts fetch      only fetch, unpack and pre-build (what CI caches)
 *
 * - One pinned version of Keycloak's server distribution (`org.keycloak:keycloak-quarkus-dist`, a zip) is
 *   fetched with Maven (`mvn dependency:copy`; Maven's local repository is the download cache) and
 *   unpacked once into `.keycloak/<version>/dist` (git-ignored).
 * - Preparing it runs `kc.sh start-dev` once and stops it: the first start of a distribution runs Quarkus'
 *   build step ("augmentation", 30 s on two cores) and initialises the dev-file database with the master
 *   realm and the bootstrap admin (20-40 s). Both results are kept; every later start reuses them, so it
 *   only boots (about 12 s instead of 70-90 s).
 * - Each start gets a private copy of the distribution (hard links for the read-only jars and themes, real
 *   copies of `conf/` and `data/`), so runs never share a database and realm files can be dropped into its
 *   own `data/import` for `--import-realm`. The copy is removed when the server stops.
 * - The server runs in development mode (`start-dev`: HTTP, no hostname, dev-file H2 database) bound to
 *   127.0.0.1 on free ports, in its own process group; `stop()` ends the whole group (kc.sh and its java
 *   child) and waits until it is gone, so no orphan JVM is left behind.
 * - With `https`, it also listens on an HTTPS port that asks for a client certificate
 *   (`--https-client-auth=request`: a certificate is checked against the truststore when one is
 *   presented, and a connection without one is accepted), which certificate-bound tokens (RFC 8705) need.
 *   The management interface stays plain http (`--http-management-scheme=http`).
 * - `JAVA_HOME` chooses the JDK (Keycloak 26 runs on Java 17, 21 and 25).
 *
 * Start-up options: https://www.keycloak.org/server/all-config ; TLS and client certificates:
 * https://www.keycloak.org/server/enabletls and https://www.keycloak.org/server/mutual-tls ;
 * bootstrap admin through KC_BOOTSTRAP_ADMIN_USERNAME / KC_BOOTSTRAP_ADMIN_PASSWORD: https://www.keycloak.org/server/bootstrap-admin-recovery ;
 * readiness on the management port: https://www.keycloak.org/observability/health
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

/** The pinned server version (Maven Central serves it as org.keycloak:keycloak-quarkus-dist:<v>:zip). */
export const KEYCLOAK_VERSION = '26.7.3';

/** Credentials of the bootstrap admin of a server this script starts (a throw-away dev server). */
export const LOCAL_ADMIN = { username: 'admin', password: 'admin' } as const;

const ROOT = path.resolve(__dirname, '..');

/** Where distributions and per-run copies live; git-ignored. */
export const KEYCLOAK_DIR = path.join(ROOT, '.keycloak');

/** How long a start may take before it counts as failed (a cold JVM on a loaded 2-core machine). */
const READY_TIMEOUT_MS = 240_000;

/** How long a stop waits for the JVM to exit after SIGTERM before it sends SIGKILL. */
const STOP_GRACE_MS = 20_000;

/**
 * Build-time options (those marked 🛠 on https://www.keycloak.org/server/all-config). They must be the
 * same for the preparing start and every later start, or Keycloak re-runs its 30 s build step (and would
 * rewrite the build output that per-run copies share as hard links). `https-client-auth` is one of them,
 * so every server is built to request client certificates; it only matters on a server started with
 * `https` (a plain-http server has no TLS listener to ask on). The prepared marker records these options:
 * a distribution prepared with others is prepared again.
 */
const BUILD_OPTIONS = ['--health-enabled=true', '--https-client-auth=request'];

/**
 * JVM flags that shorten the start: C1 only (the server runs for minutes, the C2 compiler's work would
 * not pay off) and the class-data-sharing archive of the JDK.
 */
const JAVA_OPTS_APPEND = '-XX:TieredStopAtLevel=1 -Xshare:auto';

/** An HTTPS listener next to the HTTP one, asking clients for a certificate (client auth "request"). */
export interface HttpsOptions {
  /** PEM of the server certificate (its chain may follow). */
  readonly certificate: string;
  /** PEM of the server certificate's private key (PKCS#8). */
  readonly key: string;
  /** PEM of the CA certificates client certificates must chain to (the server's TLS truststore). */
  readonly clientCas: string;
}

export interface StartOptions {
  /** Also listen on HTTPS with client-certificate requests; @default - HTTP only */
  readonly https?: HttpsOptions;
  /** Realm files put into the server's `data/import` and imported at start (`--import-realm`). */
  readonly importRealms?: readonly { readonly file: string; readonly json: unknown }[];
  /** Extra `kc.sh start-dev` options. */
  readonly args?: readonly string[];
  /** Lines of progress (download, preparation); @default console.error */
  readonly log?: (line: string) => void;
}

export interface KeycloakServer {
  /** `http://127.0.0.1:<port>`: the base URL (realms at `<url>/realms/<name>`). */
  readonly url: string;
  /** `https://127.0.0.1:<port>` when started with `https`: the same server over TLS with client auth. */
  readonly httpsUrl?: string;
  /** `http://127.0.0.1:<port>`: the management interface (health). */
  readonly managementUrl: string;
  readonly admin: { readonly username: string; readonly password: string };
  /** The server's log file (stdout and stderr). */
  readonly logFile: string;
  /** The process group id (= the kc.sh process id). */
  readonly pid: number;
  /** Milliseconds from spawn to ready. */
  readonly startMs: number;
  /** The server's log so far. */
  readLog(): string;
  stop(): Promise<void>;
}

/** Runs a command to completion; throws with its command line and output when it fails. */
function run(command: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(command, args, { ...opts, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${r.error ? r.error.message : `exit ${r.status}`}):\n${r.stdout ?? ''}${r.stderr ?? ''}`,
    );
  }
  return r.stdout;
}

function versionDir(version: string): string {
  return path.join(KEYCLOAK_DIR, version);
}

/** The prepared distribution of `version`, fetched and unpacked on first use. */
export function distributionDir(version = KEYCLOAK_VERSION): string {
  return path.join(versionDir(version), 'dist');
}

/** Fetches the zip with Maven and unpacks it, once. Returns the distribution directory. */
export function fetchDistribution(version = KEYCLOAK_VERSION, log = console.error): string {
  const dist = distributionDir(version);
  if (fs.existsSync(path.join(dist, 'bin', 'kc.sh'))) return dist;
  const download = path.join(versionDir(version), 'download');
  fs.mkdirSync(download, { recursive: true });
  const artifact = `org.keycloak:keycloak-quarkus-dist:${version}:zip`;
  log(`keycloak: fetching ${artifact} with Maven`);
  run('mvn', ['-q', '-B', 'dependency:copy', `-Dartifact=${artifact}`, `-DoutputDirectory=${download}`]);
  const zip = path.join(download, `keycloak-quarkus-dist-${version}.zip`);
  const unpack = path.join(versionDir(version), 'unpack');
  fs.rmSync(unpack, { recursive: true, force: true });
  run('unzip', ['-q', zip, '-d', unpack]);
  // The zip holds one top-level folder, keycloak-<version>; rename makes the unpack atomic.
  fs.renameSync(path.join(unpack, `keycloak-${version}`), dist);
  fs.rmSync(unpack, { recursive: true, force: true });
  fs.rmSync(zip, { force: true });
  return dist;
}

/** A free TCP port on 127.0.0.1 (the OS picks it; closed again before Keycloak binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A private copy of the distribution: hard links for everything but `conf/` and `data/` (copied, since
 * the server writes its database and transaction logs there).
 */
function copyDistribution(dist: string, target: string): void {
  fs.mkdirSync(target, { recursive: true });
  for (const entry of fs.readdirSync(dist)) {
    const from = path.join(dist, entry);
    const to = path.join(target, entry);
    if (entry === 'data' || entry === 'conf') fs.cpSync(from, to, { recursive: true });
    else run('cp', ['-al', from, to]);
  }
}

function serverEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KC_BOOTSTRAP_ADMIN_USERNAME: LOCAL_ADMIN.username,
    KC_BOOTSTRAP_ADMIN_PASSWORD: LOCAL_ADMIN.password,
    JAVA_OPTS_APPEND: [process.env.JAVA_OPTS_APPEND, JAVA_OPTS_APPEND].filter(Boolean).join(' '),
  };
}

async function isReady(managementUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${managementUrl}/health/ready`, { signal: AbortSignal.timeout(2_000) });
    return res.ok;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || !alive(pid)) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + STOP_GRACE_MS;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (alive(pid)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
    const killDeadline = Date.now() + 5_000;
    while (alive(pid) && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts `kc.sh start-dev` in `home` and waits for /health/ready. */
async function boot(home: string, args: readonly string[]): Promise<KeycloakServer> {
  const [port, managementPort] = [await freePort(), await freePort()];
  const logFile = path.join(home, 'server.log');
  const out = fs.openSync(logFile, 'a');
  const started = Date.now();
  const child = spawn(
    path.join(home, 'bin', 'kc.sh'),
    [
      'start-dev',
      ...BUILD_OPTIONS,
      '--http-host=127.0.0.1',
      `--http-port=${port}`,
      `--http-management-port=${managementPort}`,
      ...args,
    ],
    // detached: a process group of its own, so stop() reaches the java child of kc.sh too.
    { cwd: home, env: serverEnv(), detached: true, stdio: ['ignore', out, out] },
  );
  fs.closeSync(out);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  const url = `http://127.0.0.1:${port}`;
  const managementUrl = `http://127.0.0.1:${managementPort}`;
  const readLog = () => fs.readFileSync(logFile, 'utf8');
  const deadline = started + READY_TIMEOUT_MS;
  for (;;) {
    if (await isReady(managementUrl)) break;
    if (exited !== undefined || Date.now() > deadline) {
      await stopGroup(child);
      const why = exited !== undefined ? `exited with ${exited}` : `not ready after ${READY_TIMEOUT_MS} ms`;
      throw new Error(`Keycloak (${home}) ${why}; its log:\n${readLog().slice(-8_000)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    url,
    managementUrl,
    admin: LOCAL_ADMIN,
    logFile,
    pid: child.pid as number,
    startMs: Date.now() - started,
    readLog,
    stop: () => stopGroup(child),
  };
}

/**
 * Fetches, unpacks and prepares the distribution once: one start-dev run that does Quarkus' build step and
 * creates the dev-file database with the master realm and bootstrap admin, which later runs copy.
 */
export async function prepareDistribution(version = KEYCLOAK_VERSION, log = console.error): Promise<string> {
  const dist = fetchDistribution(version, log);
  const marker = path.join(versionDir(version), 'prepared');
  if (preparedWith(marker) === BUILD_OPTIONS.join(' ')) return dist;
  log(`keycloak: preparing ${version} (first start: build step and database, 1-2 minutes)`);
  fs.rmSync(path.join(dist, 'data'), { recursive: true, force: true });
  const server = await boot(dist, []);
  await server.stop();
  fs.rmSync(path.join(dist, 'server.log'), { force: true });
  fs.rmSync(path.join(dist, 'data', 'tmp'), { recursive: true, force: true });
  fs.writeFileSync(marker, `${JSON.stringify({ buildOptions: BUILD_OPTIONS.join(' '), at: new Date() })}\n`);
  return dist;
}

/** The build options a distribution was prepared with, or undefined (not prepared, or by an older script). */
function preparedWith(marker: string): string | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(marker, 'utf8')) as { buildOptions?: unknown };
    return typeof m.buildOptions === 'string' ? m.buildOptions : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The options and files of the HTTPS listener, written into the run's `conf/`: the certificate and key as
 * PEM files, and the client CAs as a PKCS#12 truststore made with the JDK's keytool (one entry per CA).
 */
async function httpsArgs(home: string, https: HttpsOptions): Promise<{ port: number; args: string[] }> {
  const conf = path.join(home, 'conf');
  const certificateFile = path.join(conf, 'tls-certificate.pem');
  const keyFile = path.join(conf, 'tls-key.pem');
  const trustStoreFile = path.join(conf, 'tls-client-cas.p12');
  fs.writeFileSync(certificateFile, https.certificate);
  fs.writeFileSync(keyFile, https.key, { mode: 0o600 });
  const cas = https.clientCas.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (cas.length === 0) throw new Error('https.clientCas holds no PEM certificate');
  const keytool = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'keytool') : 'keytool';
  cas.forEach((pem, i) => {
    const caFile = path.join(conf, `tls-client-ca-${i}.pem`);
    fs.writeFileSync(caFile, `${pem}\n`);
    run(keytool, [
      '-importcert',
      '-noprompt',
      '-alias',
      `client-ca-${i}`,
      '-file',
      caFile,
      '-keystore',
      trustStoreFile,
      '-storetype',
      'PKCS12',
      '-storepass',
      TRUST_STORE_PASSWORD,
    ]);
  });
  const port = await freePort();
  return {
    port,
    args: [
      `--https-port=${port}`,
      `--https-certificate-file=${certificateFile}`,
      `--https-certificate-key-file=${keyFile}`,
      `--https-trust-store-file=${trustStoreFile}`,
      `--https-trust-store-password=${TRUST_STORE_PASSWORD}`,
      // The management interface inherits the HTTPS settings unless told otherwise; readiness is polled
      // over plain http (https://www.keycloak.org/server/management-interface).
      '--http-management-scheme=http',
    ],
  };
}

/** The throw-away truststore of a test server holds public CA certificates only. */
const TRUST_STORE_PASSWORD = 'keycloak-test-truststore';

/** Starts a fresh Keycloak (own copy, own database) on 127.0.0.1 and waits until it is ready. */
export async function startKeycloak(opts: StartOptions = {}): Promise<KeycloakServer> {
  const log = opts.log ?? console.error;
  const dist = await prepareDistribution(KEYCLOAK_VERSION, log);
  const home = path.join(KEYCLOAK_DIR, 'runs', `${process.pid}-${Date.now()}`);
  copyDistribution(dist, home);
  const args = [...(opts.args ?? [])];
  let httpsPort: number | undefined;
  if (opts.https) {
    try {
      const h = await httpsArgs(home, opts.https);
      httpsPort = h.port;
      args.push(...h.args);
    } catch (e) {
      fs.rmSync(home, { recursive: true, force: true });
      throw e;
    }
  }
  if (opts.importRealms?.length) {
    const importDir = path.join(home, 'data', 'import');
    fs.mkdirSync(importDir, { recursive: true });
    for (const r of opts.importRealms) fs.writeFileSync(path.join(importDir, r.file), JSON.stringify(r.json));
    args.push('--import-realm');
  }
  let server: KeycloakServer;
  try {
    server = await boot(home, args);
  } catch (e) {
    fs.rmSync(home, { recursive: true, force: true });
    throw e;
  }
  return {
    ...server,
    ...(httpsPort !== undefined ? { httpsUrl: `https://127.0.0.1:${httpsPort}` } : {}),
    stop: async () => {
      await server.stop();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const command = process.argv[2] ?? 'start';
  if (command === 'fetch') {
    await prepareDistribution();
    console.log(distributionDir());
    return;
  }
  if (command !== 'start') throw new Error(`unknown command ${command} (start | fetch)`);
  const server = await startKeycloak();
  console.log(`Keycloak ${KEYCLOAK_VERSION} ready in ${(server.startMs / 1000).toFixed(1)} s: ${server.url}`);
  console.log(`admin console: ${server.url}/admin (${server.admin.username} / ${server.admin.password})`);
  console.log(`log: ${server.logFile}   Ctrl-C stops it`);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(`keycloak: ${(e as Error).message}`);
    process.exitCode = 1;
  });
}
