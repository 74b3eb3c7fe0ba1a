import { expect } from 'vitest';
import { KeygateValidationError } from '../../lib/internal/validation-error';

/**
 * Asserts that `fn` throws a KeygateValidationError about `field` whose message is exactly `message`
 * (followed by the construct path when there is one, as the error writes it). Returns the error.
 */
export function expectValidationError(
  fn: () => unknown,
  field: string,
  message: string,
): KeygateValidationError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'nothing was thrown').toBeDefined();
  expect(KeygateValidationError.is(thrown), `not a KeygateValidationError: ${String(thrown)}`).toBe(true);
  const e = thrown as KeygateValidationError;
  expect({ field: e.field, message: e.message }).toEqual({
    field,
    message: e.constructPath ? `${message} (at ${e.constructPath})` : message,
  });
  return e;
}
