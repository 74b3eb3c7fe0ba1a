import { validateAuthorizerConfigWith } from '../../common/authorizer-config-validate';
import { SAMPLE } from './shape';

const NONE = () => [];

export function validate(input: unknown = SAMPLE): boolean {
  // As the core bundle does: the checks of the blocks in modules of their own are left to those modules.
  return validateAuthorizerConfigWith(input, {
    session: NONE,
    revocation: NONE,
    usage: NONE,
    tokenBinding: NONE,
  }).ok;
}
