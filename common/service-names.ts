/**
 * The Powertools service name of each Keygate function: the `service` key of its log lines and the
 * `service` dimension of its metrics. The constructs set it as `POWERTOOLS_SERVICE_NAME` and the
 * functions name their Logger and Metrics with it, so a log query or a dashboard written against one
 * name finds every line.
 * https://docs.powertools.aws.dev/lambda/typescript/latest/#environment-variables
 */

/** The authorizer (lambda/authorizer): its decision log lines carry it. */
export const AUTHORIZER_SERVICE_NAME = 'keygate-authorizer';

/** The model backend (lib/backends, lambda/models): its logs and usage metrics. */
export const MODELS_SERVICE_NAME = 'keygate-models';

/** The browser sign-in function (lib/sign-in, lambda/sign-in). */
export const SIGN_IN_SERVICE_NAME = 'keygate-sign-in';

/** The Cognito pre-token-generation trigger (lib/federation, lambda/pre-token-generation). */
export const PRE_TOKEN_GENERATION_SERVICE_NAME = 'keygate-pre-token-generation';
