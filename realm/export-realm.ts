/**
 * `npm run realm:export -- --stage dev [--out realm.json] [--test-users] [--password-env VAR]
 *  [--direct-grants] [--config file.json]`
 *
 * Writes the realm import JSON for `kc.sh import --file realm.json` (to stdout, or --out). Test-user
 * passwords come from the environment variable named by --password-env, or are generated and printed
 * to stderr; they are never part of the repository.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { answerHelp, parseCli } from '../cli/cli-args';
import { buildRealm } from './realm-definition';
import { deriveRoles } from './realm-roles';
import { loadStage } from '../cli/stage';

export interface ExportResult {
  readonly json: string;
  /** Notes for stderr (generated passwords, unmanaged scopes). */
  readonly notes: readonly string[];
}

export function exportRealm(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ExportResult {
  const args = parseCli(argv, {
    stage: { type: 'string' },
    config: { type: 'string' },
    out: { type: 'string' },
    'test-users': { type: 'boolean' },
    'password-env': { type: 'string' },
    'direct-grants': { type: 'boolean' },
  });
  const { stage } = loadStage(args);
  const notes: string[] = [];
  let passwords: Record<string, string> | undefined;
  if (args['test-users']) {
    passwords = {};
    const fromEnv = args['password-env'] ? env[args['password-env']] : undefined;
    if (args['password-env'] && !fromEnv)
      throw new Error(`--password-env: environment variable ${args['password-env']} is not set`);
    for (const u of stage.keycloak.testUsers ?? []) {
      passwords[u.username] = fromEnv ?? randomBytes(18).toString('base64url');
      if (!fromEnv) notes.push(`generated password for test user ${u.username}: ${passwords[u.username]}`);
    }
    notes.push('the realm file holds test-user passwords: keep it out of version control');
  }
  const realm = buildRealm(stage, {
    includeTestUsers: args['test-users'] ?? false,
    testUserPasswords: passwords,
    directAccessGrants: args['direct-grants'] ?? false,
  });
  const { scopes } = deriveRoles(stage);
  if (scopes.length) {
    notes.push(
      `routes require scopes ${scopes.join(', ')}: define them as client scopes in Keycloak (not managed here)`,
    );
  }
  const json = `${JSON.stringify(realm, null, 2)}\n`;
  if (args.out) writeFileSync(args.out, json, { mode: 0o600 });
  return { json: args.out ? '' : json, notes };
}

const USAGE = `
npm run realm:export [-- options]: the stage's Keycloak realm as import JSON (kc.sh import --file realm.json).

  --stage <name>          stage of the app config (default: its defaultStage, else dev)
  --config <file>         app config JSON (default: the keygate context of ./cdk.json, else the built-in one)
  --out <file>            write there instead of stdout
  --test-users            include the stage's test users
  --password-env <VAR>    their password, from this environment variable (default: generated, printed to stderr)
  --direct-grants         let the people client use the password grant
  --help                  this text
`;

function main(): void {
  answerHelp(process.argv.slice(2), USAGE);
  try {
    const { json, notes } = exportRealm(process.argv.slice(2));
    for (const n of notes) console.error(n);
    process.stdout.write(json);
  } catch (e) {
    console.error(`realm:export: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}

if (require.main === module) main();
