import { App, Duration, Errors, Stack } from 'aws-cdk-lib';
import { describe, expect, test } from 'vitest';
import { Model } from '../../../lib/backends/model';
import { ModelBackend } from '../../../lib/backends/model-backend';
import { KeygateValidationError } from '../../../lib/internal/validation-error';

/** The error `fn` throws (the test fails when it throws none). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('nothing was thrown');
}

describe('KeygateValidationError', () => {
  test('a construct prop mistake carries the construct path and the field', () => {
    // GIVEN a stack WHEN a ModelBackend gets a timeout over Lambda's limit
    const s = new Stack(new App(), 'Test');
    const e = thrown(
      () =>
        new ModelBackend(s, 'Backend', {
          models: [Model.demo('sentiment', 'sentiment')],
          timeout: Duration.seconds(901),
        }),
    );
    // THEN the error names the path and the field, and aws-cdk-lib's public Errors API sees a validation error
    expect(KeygateValidationError.is(e)).toBe(true);
    expect(e).toMatchObject({
      name: 'ValidationError',
      type: 'validation',
      constructPath: 'Test/Backend',
      field: 'timeout',
      message: 'ModelBackend: timeout must be from 1 to 900 seconds, got 901 (at Test/Backend)',
    });
    expect(Errors.isValidationError(e)).toBe(true);
    expect(Errors.isConstructError(e)).toBe(true);
  });

  test("a data class's factory has no construct path; a configuration entry names its index", () => {
    const e = thrown(() =>
      Model.fromConfigs([
        { id: 'ok', kind: 'demo', demo: 'sentiment' },
        { id: 'a/b', kind: 'demo', demo: 'sentiment' },
      ]),
    );
    expect(KeygateValidationError.is(e)).toBe(true);
    expect(e).toMatchObject({ constructPath: undefined, field: 'models[1].id' });
    expect((e as Error).cause).toBeInstanceOf(KeygateValidationError);
  });

  test('a plain Error is not one', () => {
    expect(KeygateValidationError.is(new Error('x'))).toBe(false);
    expect(KeygateValidationError.is(undefined)).toBe(false);
  });
});
