import type { IConstruct } from 'constructs';

/**
 * The markers aws-cdk-lib's public `Errors.isConstructError` / `Errors.isValidationError` test for
 * (aws-cdk-lib/core/lib/errors.ts). aws-cdk-lib's own ValidationError class is `@internal`, so it is
 * mirrored here rather than imported; these markers let tools that branch on aws-cdk-lib's public
 * `Errors` API treat a Keygate mistake like any other construct validation error.
 */
const CONSTRUCT_ERROR = Symbol.for('@aws-cdk/core.SynthesisError');
const VALIDATION_ERROR = Symbol.for('@aws-cdk/core.ValidationError');
const KEYGATE = Symbol.for('keygate.ValidationError');

/**
 * A construct-time mistake: a prop (or a configuration field) that cannot deploy. Carries the path of the
 * construct it was found in (when one exists: the static factories of data classes such as `Model` have
 * none) and the field, named from the construct's props (`timeout`, `models[1].id`). The message is the
 * field's own, written once where the check is; `cdk synth` prints it with the construct path.
 */
export class KeygateValidationError extends Error {
  /** Whether `x` is a KeygateValidationError (also across copies of this library). */
  public static is(x: unknown): x is KeygateValidationError {
    return typeof x === 'object' && x !== null && (x as { [KEYGATE]?: unknown })[KEYGATE] === true;
  }

  /** As aws-cdk-lib's construct errors: `'validation'`. */
  public readonly type = 'validation';
  /** The path of the construct whose props are wrong. @default - none (a data class's factory) */
  public readonly constructPath?: string;
  /** The field, as the props name it. */
  public readonly field: string;

  constructor(scope: IConstruct | undefined, field: string, message: string, options?: ErrorOptions) {
    const path = scope?.node.path;
    super(path ? `${message} (at ${path})` : message, options);
    this.name = 'ValidationError';
    this.constructPath = path;
    this.field = field;
    Object.defineProperty(this, KEYGATE, { value: true });
    Object.defineProperty(this, CONSTRUCT_ERROR, { value: true });
    Object.defineProperty(this, VALIDATION_ERROR, { value: true });
  }
}

/**
 * The error for the messages of a common/ validator called with `at` as the path of what it checks: each
 * message opens with `<at>.<field>` (or `<at>:` about the whole), as those validators write them. The
 * messages are passed on as written, one a line; the field is the first message's, read after `at`
 * (`whole` when it is about the whole).
 */
export function validatorError(
  scope: IConstruct | undefined,
  at: string,
  errors: readonly string[],
  whole: string,
): KeygateValidationError {
  const first = errors[0] ?? '';
  const field = first.startsWith(`${at}.`) ? /^[^\s:]+/.exec(first.slice(at.length + 1))?.[0] : undefined;
  return new KeygateValidationError(scope, field ?? whole, errors.join('\n'));
}
