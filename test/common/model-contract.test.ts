import { describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { validateStageConfig } from '../../common/app-config-validate';
import { MODEL_ID_RULE } from '../../common/model-contract';
import { validateBackendConfig } from '../../lambda/models/backend-config';
import { Model } from '../../lib/backends/model';

const dev = DEFAULT_APP_CONFIG.stages.dev;

/** Whether each side accepts `id`: the stage configuration, the construct and the function. */
function verdicts(id: string): [boolean, boolean, boolean] {
  const stage = validateStageConfig({ ...dev, models: [{ id, kind: 'demo', demo: 'sentiment' }] }, 'stage');
  let construct = true;
  try {
    Model.demo(id, 'sentiment');
  } catch {
    construct = false;
  }
  const fn = validateBackendConfig({ models: [{ id, kind: 'demo', demo: 'sentiment' }] }).ok;
  return [stage.length === 0, construct, fn];
}

describe('model id contract', () => {
  it.each<[string, boolean]>([
    ['sentiment', true],
    ['Claude_3-haiku', true],
    ['a'.repeat(64), true],
    ['a'.repeat(65), false],
    ['-leading-dash', false],
    ['a/b', false],
    ['', false],
  ])('the stage configuration, the construct and the function agree on %j (accepted: %s)', (id, ok) => {
    // GIVEN one model id WHEN each side checks it THEN all three give the same verdict.
    expect(verdicts(id)).toEqual([ok, ok, ok]);
  });

  it('names the rule in the stage configuration message', () => {
    expect(
      validateStageConfig({ ...dev, models: [{ id: 'a/b', kind: 'demo', demo: 'sentiment' }] }, 'stage'),
    ).toEqual([`stage.models[0].id must be ${MODEL_ID_RULE} (it appears in paths and role names)`]);
  });
});
