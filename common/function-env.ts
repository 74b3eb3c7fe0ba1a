/**
 * The environment variables through which the constructs hand each Lambda function its configuration:
 * declared once for the construct that writes one and the function that reads it.
 */

/** The sign-in function's JSON configuration (lib/sign-in writes it, lambda/sign-in reads it). */
export const SIGN_IN_CONFIG_ENV = 'KEYGATE_SIGN_IN_CONFIG';

/** The model backend's JSON configuration (lib/backends writes it, lambda/models reads it). */
export const MODELS_CONFIG_ENV = 'KEYGATE_MODELS_CONFIG';
