import type { IConstruct } from 'constructs';
import type { FieldIssue } from '../../common/field-issue';

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

/** How issuesError names the field and writes the messages. */
export interface IssuesErrorOptions {
  /** Written before every message (`SecuredRestApi: `). @default '' */
  readonly prefix?: string;
  /**
   * The path the check was given for what it checks, when that is not a prop (`Requirement.withStepUp`):
   * the field is the issue's path below it, and `whole` when the issue is about all of it.
   * @default - the issue's path is the field
   */
  readonly base?: string;
  /** The field of an issue about the whole of `base`. @default base */
  readonly whole?: string;
}

/**
 * The error for the issues of a common/ check: the field is the first issue's path (common/field-issue.ts),
 * the messages are passed on as written, one a line.
 */
export function issuesError(
  scope: IConstruct | undefined,
  issues: readonly FieldIssue[],
  options: IssuesErrorOptions = {},
): KeygateValidationError {
  const { prefix = '', base } = options;
  const path = issues[0]?.path ?? base ?? '';
  const field =
    base === undefined
      ? path
      : path === base
        ? (options.whole ?? base)
        : path.startsWith(`${base}.`)
          ? path.slice(base.length + 1)
          : path;
  return new KeygateValidationError(scope, field, issues.map((i) => `${prefix}${i.message}`).join('\n'));
}
