/**
 * The authorizer's runtime errors: one base class, so a caller tells Keygate's own errors from library and
 * built-in ones with one `instanceof`; the error that led to one travels as the standard `Error.cause`.
 * They never reach API Gateway: the pipeline turns any error into a deny with a reason code.
 */
export class AuthorizerError extends Error {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The `name` of the error a deferred module's loader throws when the module cannot be loaded (missing from
 * the asset): scripts/bundle-deferred-modules.ts writes it into the loader. Its message names the module
 * and the error code only, so it is logged as it is.
 */
export const MODULE_LOAD_ERROR_NAME = 'ModuleLoadError';
