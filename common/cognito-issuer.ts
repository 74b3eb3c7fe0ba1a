/**
 * The checks of a Cognito user pool issuer of the authorizer configuration (common/authorizer-config.ts,
 * `kind: 'cognito'`). At the authorizer's cold start they come with its cognito module (`cognito.js`, with
 * aws-jwt-verify's Cognito verifier), which only a configuration trusting a user pool loads.
 */
import { isNonEmptyList, isStringList } from './field-checks';
import type { FieldIssue } from './field-issue';
import { fieldIssue, issuesAbout } from './field-issue';
import { validateRoleClients } from './role-clients';

const USER_POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d)_[A-Za-z0-9]+$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;

/** The checks of one `issuers` entry of kind `cognito`; every issue names its field under `at`. */
export function validateCognitoIssuer(i: Readonly<Record<string, unknown>>, at: string): FieldIssue[] {
  const errors: FieldIssue[] = [];
  if (typeof i.region !== 'string' || !REGION.test(i.region))
    errors.push(fieldIssue(`${at}.region`, 'must be an AWS region'));
  const m = typeof i.userPoolId === 'string' ? USER_POOL_ID.exec(i.userPoolId) : null;
  if (!m) errors.push(fieldIssue(`${at}.userPoolId`, 'must look like <region>_<id>'));
  else if (typeof i.region === 'string' && m[1] !== i.region) {
    errors.push(fieldIssue(`${at}.userPoolId`, `is in ${m[1]} but region is ${i.region}`));
  }
  if (!isStringList(i.allowedClients) || !isNonEmptyList(i.allowedClients)) {
    errors.push(fieldIssue(`${at}.allowedClients`, 'must list at least one app client id'));
  }
  errors.push(...issuesAbout(`${at}.roleClients`, validateRoleClients(i.roleClients, at)));
  const known = ['kind', 'userPoolId', 'region', 'allowedClients', 'roleClients'];
  for (const k of Object.keys(i))
    if (!known.includes(k)) errors.push(fieldIssue(`${at}.${k}`, 'is not a cognito issuer field'));
  return errors;
}
