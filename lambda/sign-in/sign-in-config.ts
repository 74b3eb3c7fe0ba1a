/**
 * The sign-in function's configuration (env `KEYGATE_SIGN_IN_CONFIG`, JSON): the schema, type and
 * defaults are declared once in common/sign-in-config.ts, which the construct checks against at synth.
 * Here: the endpoints the function derives from it.
 */
import type { SignInConfig } from '../../common/sign-in-config';

export {
  SIGN_IN_CONFIG_ENV,
  SIGN_IN_DEFAULTS,
  validateSignInConfig,
  type SignInConfig,
} from '../../common/sign-in-config';

export interface Endpoints {
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly endSessionEndpoint: string;
  readonly jwksUri: string;
}

export function endpointsOf(c: SignInConfig): Endpoints {
  const base = `${c.issuer}/protocol/openid-connect`;
  return {
    authorizationEndpoint: c.authorizationEndpoint ?? `${base}/auth`,
    tokenEndpoint: c.tokenEndpoint ?? `${base}/token`,
    endSessionEndpoint: c.endSessionEndpoint ?? `${base}/logout`,
    jwksUri: c.jwksUri ?? `${base}/certs`,
  };
}
