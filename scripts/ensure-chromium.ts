/**
 * Makes sure Debian's `chromium` is installed for the real-browser tests (`npx tsx scripts/ensure-chromium.ts`,
 * or `ensureChromium()` from a test's setup). playwright-core drives this system browser: Playwright's own
 * browser download is not used. Installing needs root (CI runs as root); otherwise it says what to run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = '/usr/bin/chromium';

function aptGet(args: readonly string[], log: (line: string) => void): boolean {
  log(`apt-get ${args.join(' ')}`);
  const r = spawnSync('apt-get', [...args], {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) log(`${r.error?.message ?? `exit ${r.status}`}: ${(r.stderr ?? '').slice(-2000)}`);
  return r.status === 0;
}

/** Returns the browser's path, installing the package first when it is missing. */
export function ensureChromium(log: (line: string) => void = console.error): string {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (process.getuid?.() !== 0) {
    throw new Error(`${CHROMIUM_PATH} is missing: install it with 'sudo apt-get install -y chromium'`);
  }
  // A fresh machine may have no package lists yet: update once when the first attempt fails.
  const installed =
    aptGet(['install', '-y', '-q', 'chromium'], log) ||
    (aptGet(['update', '-q'], log) && aptGet(['install', '-y', '-q', 'chromium'], log));
  if (!installed || !existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `could not install chromium with apt-get (see the lines above); ${CHROMIUM_PATH} is missing`,
    );
  }
  return CHROMIUM_PATH;
}

if (require.main === module) {
  try {
    console.log(ensureChromium());
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 1;
  }
}
