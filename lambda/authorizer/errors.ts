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
