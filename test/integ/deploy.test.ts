import { describe, expect, it } from 'vitest';
import { assertionOutcomes } from './deploy';

describe('assertionOutcomes', () => {
  it('reads each AssertionResults output of each stack and ignores the other outputs', () => {
    // GIVEN the outputs file of a deployment with two assertions, one failed
    const outputs = {
      KeygateIntegCognito: { HttpApiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/' },
      KeygateCognitoCallerDefaultTestDeployAssertDC1E8236: {
        AssertionResultsHttpApiCall1: '{"status":"success"}',
        AssertionResultsHttpApiCall2: '{"status":"fail","message":"Expected 403 but received 200"}',
      },
    };

    // WHEN read, THEN one outcome per assertion, the failure with its message
    expect(assertionOutcomes(outputs)).toEqual([
      {
        stack: 'KeygateCognitoCallerDefaultTestDeployAssertDC1E8236',
        output: 'AssertionResultsHttpApiCall1',
        passed: true,
      },
      {
        stack: 'KeygateCognitoCallerDefaultTestDeployAssertDC1E8236',
        output: 'AssertionResultsHttpApiCall2',
        passed: false,
        message: 'Expected 403 but received 200',
      },
    ]);
  });

  it('counts a value that is not an integ-tests result as a failure, with the raw value', () => {
    expect(assertionOutcomes({ S: { AssertionResultsX: 'oops' } })).toEqual([
      { stack: 'S', output: 'AssertionResultsX', passed: false, message: 'oops' },
    ]);
  });
});
