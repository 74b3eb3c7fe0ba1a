/**
 * `npm run build:languages -- [python] [java] [go] [dotnet]`: builds the package once (`npm run build`:
 * Lambda bundles, jsii assembly, keygate-call) and has jsii-pacmak generate and compile the packages of the
 * named languages (default: python) from package.json's `jsii.targets` into dist-packages/<language>/.
 * Prints each step's wall-clock time.
 *
 * jsii-pacmak packs the npm tarball it embeds in each language package with `npm pack`; scripts are
 * turned off for that pack (the build above already ran, and `prepack` would run it again), and
 * `--no-npmignore` keeps it from writing a .npmignore the package does not use (package.json `files`
 * decides what ships).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { JSII_ENV } from './build-library';

const ROOT = path.join(__dirname, '..');
export const LANGUAGES = ['python', 'java', 'go', 'dotnet'] as const;
export type Language = (typeof LANGUAGES)[number];

function timed(label: string, command: string, args: string[], env: NodeJS.ProcessEnv): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: ROOT, env, stdio: 'inherit' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`${label}: ${seconds.toFixed(1)} s${result.status === 0 ? '' : ' (failed)'}`);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
  }
  return seconds;
}

export function buildLanguagePackages(languages: readonly Language[], options: { build: boolean }): void {
  if (options.build) timed('npm run build', 'npm', ['run', '--silent', 'build'], JSII_ENV);
  const env = { ...JSII_ENV, npm_config_ignore_scripts: 'true' };
  for (const language of languages) {
    timed(
      `jsii-pacmak ${language}`,
      path.join(ROOT, 'node_modules', '.bin', 'jsii-pacmak'),
      ['--targets', language, '--no-npmignore'],
      env,
    );
  }
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--no-build' && !(LANGUAGES as readonly string[]).includes(a));
  if (unknown.length > 0) {
    console.error(
      `unknown argument(s) ${unknown.join(', ')}; languages: ${LANGUAGES.join(', ')}, flag: --no-build`,
    );
    process.exitCode = 2;
  } else {
    const languages = args.filter((a): a is Language => (LANGUAGES as readonly string[]).includes(a));
    try {
      buildLanguagePackages(languages.length > 0 ? languages : ['python'], {
        build: !args.includes('--no-build'),
      });
    } catch (error) {
      console.error((error as Error).message);
      process.exitCode = 1;
    }
  }
}
