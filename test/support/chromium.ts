/**
 * Headless Chromium (Debian's package, driven by playwright-core) for the real-browser tests, with a fresh
 * profile per launch. The background-networking flags matter on a closed network: without them Chromium's
 * own connections (component updates, sync, QUIC probes) are refused and slow every page down.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { ensureChromium } from '../../scripts/ensure-chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

export interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Writes a full-page screenshot `<nn>-<name>.png` into the output folder; returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The Chromium flag that trusts one self-signed certificate (by the SHA-256 of its public key) instead of
 * turning certificate checks off; it takes effect with a user-data dir, which every launch here has.
 */
export function trustCertificateArg(pem: string): string {
  const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return `--ignore-certificate-errors-spki-list=${createHash('sha256').update(spki).digest('base64')}`;
}

/** Launches Chromium with a fresh user-data dir; screenshots go to `outDir` (created, emptied first). */
export async function launchChromium(outDir: string, extraArgs: readonly string[] = []): Promise<Browser> {
  const executablePath = ensureChromium();
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'keygate-chromium-'));
  // launchPersistentContext is Playwright's way to pass --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    viewport: { width: 1000, height: 700 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  let n = 0;
  return {
    context,
    page,
    async screenshot(name) {
      const file = join(outDir, `${String(++n).padStart(2, '0')}-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
