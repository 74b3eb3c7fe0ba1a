/**
 * `npm run routes [-- --stage <name>] [--config <file>]`: prints the stage's access matrix — each route,
 * its requirement, and which users, service accounts and IAM principals reach it.
 */
import { answerHelp, parseCli } from '../cli/cli-args';
import { loadStage } from '../cli/stage';
import { accessMatrix, formatAccessMatrix } from './access-matrix';

const USAGE = `
npm run routes [-- options]: the stage's access matrix — each route, its requirement, and which test users,
service accounts and IAM principals reach it.

  --stage <name>     stage of the app config (default: its defaultStage, else dev)
  --config <file>    app config JSON (default: the keygate context of ./cdk.json, else the built-in one)
  --help             this text
`;

function main(): void {
  const argv = process.argv.slice(2);
  answerHelp(argv, USAGE);
  const args = parseCli(argv, { stage: { type: 'string' }, config: { type: 'string' } });
  const { name, stage } = loadStage(args);
  console.log(`Access matrix of stage '${name}' (${stage.routes.length} routes)\n`);
  console.log(formatAccessMatrix(accessMatrix(stage)));
  console.log(
    "\nUsers and service accounts are the stage's keycloak.testUsers and keycloak.serviceAccounts;",
  );
  console.log('routes not listed are refused (404 on an HTTP API, 403 on a REST API).');
}

try {
  main();
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
}
