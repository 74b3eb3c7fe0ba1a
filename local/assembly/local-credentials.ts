/** SigV4 test credentials for IAM routes, made for one run (the shapes of AWS access keys). */
import { randomBytes } from 'node:crypto';
import type { LocalIamCredential } from '../gateway/sigv4-check';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function accessKeyId(): string {
  return `AKIA${[...randomBytes(16)].map((b) => ALPHABET[b % 32]).join('')}`;
}

/** `routes`: the route keys the caller's IAM policy grants (`*` = every route). */
export function localCredential(
  account: string,
  name: string,
  routes: readonly string[],
): LocalIamCredential {
  return {
    accessKeyId: accessKeyId(),
    secretAccessKey: randomBytes(30).toString('base64'),
    callerArn: `arn:aws:iam::${account}:user/keygate-local-${name}`,
    callerId: `AIDA${name.toUpperCase().padEnd(16, 'X').slice(0, 16)}`,
    routes,
  };
}

/** A role of the template as a caller: its session's ARN, as `sts:AssumeRole` would name it. */
export function roleCredential(account: string, role: string): LocalIamCredential {
  return {
    accessKeyId: accessKeyId(),
    secretAccessKey: randomBytes(30).toString('base64'),
    callerArn: `arn:aws:sts::${account}:assumed-role/${role}/keygate-local`,
    callerId: `AROA${role
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, '')
      .padEnd(16, 'X')
      .slice(0, 16)}:keygate-local`,
    routes: [],
  };
}
