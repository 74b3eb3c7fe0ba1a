/**
 * The checks of a Cognito user pool issuer of the authorizer configuration (common/authorizer-config.ts,
 * `kind: 'cognito'`). At the authorizer's cold start they come with its cognito module (`cognito.js`, with
 * aws-jwt-verify's Cognito verifier), which only a configuration trusting a user pool loads.
 */
import { isNonEmptyList, isStringList } from './field-checks';
import { validateRoleClients } from './role-clients';

const USER_POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d)_[A-Za-z0-9]+$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;

/** The checks of one `issuers` entry of kind `cognito`; every message opens with `at`. */
export function validateCognitoIssuer(i: Readonly<Record<string, unknown>>, at: string): string[] {
  const errors: string[] = [];
  if (typeof i.region !== 'string' || !REGION.test(i.region))
    errors.push(`${at}.region must be an AWS region`);
  const m = typeof i.userPoolId === 'string' ? USER_POOL_ID.exec(i.userPoolId) : null;
  if (!m) errors.push(`${at}.userPoolId must look like <region>_<id>`);
  else if (typeof i.region === 'string' && m[1] !== i.region) {
    errors.push(`${at}.userPoolId is in ${m[1]} but region is ${i.region}`);
  }
  if (!isStringList(i.allowedClients) || !isNonEmptyList(i.allowedClients)) {
    errors.push(`${at}.allowedClients must list at least one app client id`);
  }
  errors.push(...validateRoleClients(i.roleClients, at));
  const known = ['kind', 'userPoolId', 'region', 'allowedClients', 'roleClients'];
  for (const k of Object.keys(i))
    if (!known.includes(k)) errors.push(`${at}.${k} is not a cognito issuer field`);
  return errors;
}
