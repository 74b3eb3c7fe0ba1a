/**
 * Every command the README names exists as written: each `npm run <script>` is a script of package.json,
 * each option of `npm start`, `npm run demo` and `keygate local` is one their own --help lists, and the
 * facts the Quick start and Tests sections state (tarball name, Node.js version, schema path, CI suites,
 * mutation scores) hold. (The example app and its cdk.json are run by test/package/; links are checked by
 * test/package/readme-example.test.ts.)
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  engines: { node: string };
  repository: { url: string };
  scripts: Record<string, string>;
};

/** The lines of the README's ```sh blocks. */
function shellLines(markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1].split('\n').filter(Boolean));
}

/** `--name` options on a line (the bare `--` that ends npm's own options is not one). */
const optionsOn = (line: string) => [...line.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map((m) => `--${m[1]}`);

/** What a command prints for --help, run as the README runs it (from this checkout's sources). */
async function helpOf(args: readonly string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [...args], { cwd: ROOT, timeout: 60_000 });
  return stdout;
}

/** `--name` options a help text lists at the start of a line. */
const listed = (help: string) => new Set([...help.matchAll(/^\s+(--[a-z][a-z-]*)/gm)].map((m) => m[1]));

describe('the README commands', () => {
  const lines = shellLines(README);
  const helps: Record<'start' | 'demo' | 'keygateLocal', Set<string>> = {
    start: new Set(),
    demo: new Set(),
    keygateLocal: new Set(),
  };

  beforeAll(async () => {
    // npm start runs local/start.ts; with --sign-in or `--keycloak local` it hands over to the stage's local
    // stack, whose own --help lists its options: the README's flags may be either's.
    const [start, startStage, demo, keygateLocal] = await Promise.all([
      helpOf(['--import', 'tsx', 'local/start.ts', '--help']),
      helpOf(['--import', 'tsx', 'local/start.ts', '--sign-in', '--help']),
      helpOf(['--import', 'tsx', 'local/demo.ts', '--help']),
      helpOf(['local/bin/keygate.js', 'local', '--help']),
    ]);
    helps.start = new Set([...listed(start), ...listed(startStage)]);
    helps.demo = listed(demo);
    helps.keygateLocal = listed(keygateLocal);
  });

  test('finds the shell blocks: Quick start, the library install and Run it locally', () => {
    expect(lines.filter((l) => l.startsWith('npm start'))).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith('npm run '))).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith('npx keygate local'))).toHaveLength(1);
  });

  test('every `npm run <script>`, `npm test` and `npm start` is a script of package.json', () => {
    const named = new Set([...README.matchAll(/npm run ([a-z][a-z0-9:-]*)/g)].map((m) => m[1]));
    for (const m of README.matchAll(/npm (test|start)\b/g)) named.add(m[1]);
    // Those of the Tests table and Run it locally, at least.
    expect(named.size).toBeGreaterThanOrEqual(10);
    expect([...named].filter((s) => PKG.scripts[s] === undefined)).toEqual([]);
  });

  test('every option given to npm start, npm run demo and keygate local is one their --help lists', () => {
    const unknown: string[] = [];
    let checked = 0;
    for (const line of lines) {
      const help = line.startsWith('npm start')
        ? helps.start
        : line.startsWith('npm run demo')
          ? helps.demo
          : line.startsWith('npx keygate local')
            ? helps.keygateLocal
            : undefined;
      if (!help) continue;
      for (const option of optionsOn(line)) {
        checked++;
        if (!help.has(option)) unknown.push(`${option} in: ${line}`);
      }
    }
    expect(unknown).toEqual([]);
    // --keycloak and --sign-in of npm start, --keycloak of the demo.
    expect(checked).toBeGreaterThanOrEqual(3);
    // The helps are real lists, not empty output.
    expect([...helps.start]).toContain('--stage');
    expect([...helps.demo]).toContain('--keycloak');
    expect([...helps.keygateLocal]).toContain('--app');
  });

  test('the Quick start clones the repository package.json names, with a command that runs as pasted', () => {
    const clones = lines.filter((l) => l.startsWith('git clone '));
    expect(clones).toHaveLength(2);
    for (const line of clones) expect(line.split(' ')[2]).toBe(PKG.repository.url);
    // No placeholder a shell would read as a redirection.
    expect(lines.filter((l) => /<[^>]*>/.test(l.replace(/#.*$/, '')))).toEqual([]);
  });

  test('the Quick start: the tarball npm pack writes, the Node.js version, the cdk.json schema path', () => {
    const tarball = `${PKG.name}-${PKG.version}.tgz`;
    expect(README).toContain(`# writes keygate/${tarball}`);
    expect(README).toContain(`npm install ./keygate/${tarball} aws-cdk-lib constructs`);
    const node = /^>=(\d+\.\d+)\.0$/.exec(PKG.engines.node)?.[1];
    expect(README).toContain(`Node.js ${node} or later`);
    const schema = /"\$schema": "\.\/([^"]+)"/.exec(README)?.[1];
    expect(schema).toBe('schema/keygate-cdk-json.schema.json');
    expect(fs.existsSync(path.join(ROOT, schema!))).toBe(true);
  });

  test('the Tests table: CI runs its first four suites, in that order; the mutation scores are those of docs/security-testing.md', () => {
    const table = [...README.matchAll(/^\| `(npm [^`]+)`/gm)].map((m) => m[1]);
    expect(table.slice(0, 4)).toEqual([
      'npm test',
      'npm run test:keycloak',
      'npm run test:cfn-lint',
      'npm run test:languages',
    ]);
    expect(README).toContain(
      '`.ci/run` runs the set-up, `npx cdk synth`, the static checks and the first four suites.',
    );
    const ci = fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
    const suites = [...ci.matchAll(/^run_suite \S+ (.*)$/gm)].map((m) => m[1]);
    expect(suites).toHaveLength(4);
    table.slice(0, 4).forEach((command, i) => expect(suites[i]).toContain(command.replace(/^npm run /, '')));
    expect(ci).toContain('npx cdk synth');
    const scores = /route model ([\d.]+) %, claims ([\d.]+) %/.exec(README);
    const page = fs.readFileSync(path.join(ROOT, 'docs', 'security-testing.md'), 'utf8');
    const scoreOf = (file: string) =>
      new RegExp(`^\\| ${file.replace(/[.]/g, '\\.')}\\s*\\|.*\\| ([\\d.]+) %\\s*\\|[^|]*\\|\\s*$`, 'm').exec(
        page,
      )?.[1];
    expect([scores?.[1], scores?.[2]]).toEqual([
      scoreOf('common/route-model.ts'),
      scoreOf('lambda/authorizer/claims-to-principal.ts'),
    ]);
  });

  test('the real-Keycloak suite reads KEYCLOAK_URL, as the Tests table says', () => {
    expect(README).toContain('`KEYCLOAK_URL` points it at yours');
    const setup = fs.readFileSync(path.join(ROOT, 'test', 'keycloak', 'global-setup.ts'), 'utf8');
    expect(setup).toContain('process.env.KEYCLOAK_URL');
  });
});
