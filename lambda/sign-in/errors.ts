/**
 * The sign-in function's runtime errors: one base class, so a caller tells them from library and built-in
 * errors with one `instanceof`; the error that led to one travels as the standard `Error.cause`. Messages
 * never carry a secret, a token or a claim value.
 */
export class SignInError extends Error {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
