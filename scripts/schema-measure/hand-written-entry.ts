import { validateAuthorizerConfigWith } from '../../common/authorizer-config';
import { SAMPLE } from './shape';

export function validate(input: unknown = SAMPLE): boolean {
  // As the core bundle does: the session block's checks are left to the session module.
  return validateAuthorizerConfigWith(input, () => []).ok;
}
