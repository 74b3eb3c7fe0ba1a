/**
 * Deploy test of the default stack: the app's `dev` stage from the embedded default configuration (a
 * Keycloak realm at keycloak.example.com, the default route table, the demo models), deployed as it is.
 * No Keycloak answers there, so the test checks what needs no token issuer: callers without a valid
 * token get 401 from both APIs, an unsigned call to an IAM route gets 403, and the authorizer logs its
 * decision.
 *
 *   npx integ-runner --app "npx tsx {filePath}" --test-regex "^integ\..*\.ts$" --directory test/integ
 * (npm run integ), see docs/integration-tests.md.
 */
import { App, RemovalPolicies } from 'aws-cdk-lib';
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { selectStage } from '../../common/app-config-validate';
import type { SecuredHttpApi } from '../../lib/api/secured-http-api';
import type { SecuredRestApi } from '../../lib/api/secured-rest-api';
import { KeygateStack } from '../../lib/app/keygate-stack';
import type { KeygateAuthorizer } from '../../lib/authorizer/keygate-authorizer';
import { expectDecisionLogged, expectHttp } from './deploy-assertions';

const app = new App();
const selected = selectStage(DEFAULT_APP_CONFIG, undefined);
if (!selected.ok) throw new Error(selected.errors.join('\n'));
// No env: the stack deploys into the account and region integ-runner is given.
const stack = new KeygateStack(app, 'KeygateIntegDefault', {
  stageName: selected.name,
  config: selected.stage,
});
// A test stack leaves nothing behind: log groups and the rest are deleted with it.
RemovalPolicies.of(stack).destroy();

const http = stack.node.findChild('HttpApi') as SecuredHttpApi;
const rest = stack.node.findChild('RestApi') as SecuredRestApi;
const authorizer = stack.node.findChild('Authorizer') as KeygateAuthorizer;

const integ = new IntegTest(app, 'KeygateDefaultStack', {
  testCases: [stack],
  cdkCommandOptions: { destroy: { args: { force: true } } },
});

// A token the authorizer cannot even parse (no signature check is reached): 401, and a decision line.
const malformed = { Authorization: 'Bearer not-a-jwt' };
expectHttp(integ, `${http.url}models`, { status: 401 });
expectHttp(integ, `${http.url}models`, { headers: malformed, status: 401 }).next(
  expectDecisionLogged(integ, authorizer.logGroup, 'unauthorized', 'token_malformed'),
);
expectHttp(integ, `${rest.url}models`, { status: 401 });
expectHttp(integ, `${rest.url}models`, { headers: malformed, status: 401 });
// IAM routes: API Gateway itself refuses an unsigned request.
expectHttp(integ, `${http.url}machine/models`, { status: 403 });
expectHttp(integ, `${rest.url}machine/models`, { status: 403 });

app.synth();
