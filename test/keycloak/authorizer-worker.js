/**
 * Runs the authorizer bundle exactly as `cdk synth` deploys it (assets/lambda/authorizer/index.js) in a
 * Node.js process of its own: the configuration comes from KEYGATE_CONFIG and the trusted CA from
 * NODE_EXTRA_CA_CERTS at process start, as in Lambda. The parent sends API Gateway events over IPC and
 * gets back the handler's result (or its error message) and the JSON log lines written meanwhile.
 */
'use strict';
const path = require('node:path');

let lines = [];
const capture = (chunk) => {
  lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
  return true;
};
process.stdout.write = capture;
process.stderr.write = capture;

const { handler } = require(
  path.resolve(__dirname, '..', '..', 'assets', 'lambda', 'authorizer', 'index.js'),
);

process.on('message', async (msg) => {
  lines = [];
  let result;
  let error;
  try {
    result = await handler(msg.event, { awsRequestId: msg.id, functionName: 'keygate-authorizer' });
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const log = lines
    .join('')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return { raw: l };
      }
    });
  process.send({ id: msg.id, result, error, log });
});
process.send({ ready: true });
