/**
 * The environment variables through which the constructs hand each Lambda function its configuration:
 * declared once for the construct that writes one and the function that reads it.
 */

/** The sign-in function's JSON configuration (lib/sign-in writes it, lambda/sign-in reads it). */
export const SIGN_IN_CONFIG_ENV = 'KEYGATE_SIGN_IN_CONFIG';

/** The model backend's JSON configuration (lib/backends writes it, lambda/models reads it). */
export const MODELS_CONFIG_ENV = 'KEYGATE_MODELS_CONFIG';

/**
 * The Cognito pre-token-generation trigger's identity provider name (lib/federation writes it,
 * lambda/pre-token-generation reads it).
 */
export const PRE_TOKEN_PROVIDER_NAME_ENV = 'KEYGATE_IDP_NAME';
