/**
 * The stage's `keycloak.stepUpFlow` checks (common/stage-step-up.ts) beyond the common cases of
 * stage-step-up.test.ts: each malformed level, field and age is refused with a message naming it, and the
 * route checks run only once the realm's own step-up fields are sound.
 */
import { describe, expect, it } from 'vitest';
import { validateStageStepUp } from '../../common/stage-step-up';

const MAP = { '1': 1, '2': 2 };
const AT = 'keygate.stages.dev';
const FLOW = `${AT}.keycloak.stepUpFlow`;

function check(stepUpFlow: unknown, routes: unknown = []) {
  return validateStageStepUp(
    {
      keycloak: { issuer: 'https://sso.example.com/realms/ml', acrLoaMap: MAP, stepUpFlow },
      routes,
    } as never,
    AT,
    undefined,
  );
}

describe('stage step-up flow', () => {
  it('accepts a flow whose levels the map names, with ages and methods', () => {
    expect(
      check({
        levels: [
          { level: 1, authenticator: 'auth-username-password-form', amr: 'pwd' },
          { level: 2, authenticator: 'auth-otp-form', amr: 'otp' },
        ],
        levelMaxAgeSeconds: 0,
        amrMaxAgeSeconds: 31_536_000,
      }),
    ).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    [
      'not an object',
      'otp',
      [`${FLOW} must be an object { levels, levelMaxAgeSeconds?, amrMaxAgeSeconds? }`],
    ],
    ['no levels', {}, [`${FLOW}.levels must list at least one level`]],
    ['an empty level list', { levels: [] }, [`${FLOW}.levels must list at least one level`]],
    [
      'ages out of range, with the levels still checked after them',
      {
        levels: [{ level: 1, authenticator: 'auth-otp-form' }],
        levelMaxAgeSeconds: -1,
        amrMaxAgeSeconds: 31_536_001,
      },
      [
        `${FLOW}.levelMaxAgeSeconds must be an integer number of seconds from 0 to 31536000`,
        `${FLOW}.amrMaxAgeSeconds must be an integer number of seconds from 0 to 31536000`,
      ],
    ],
    [
      'a level that is not an object, and one with an unknown field',
      { levels: ['otp', { level: 1, authenticator: 'auth-otp-form', requirement: 'REQUIRED' }] },
      [
        `${FLOW}.levels[0] must be an object { level, authenticator, amr? }`,
        `${FLOW}.levels[1].requirement is not a level field (level, authenticator, amr)`,
      ],
    ],
    [
      'levels out of range',
      {
        levels: [
          { level: 0, authenticator: 'auth-otp-form' },
          { level: 101, authenticator: 'auth-otp-form' },
        ],
      },
      [
        `${FLOW}.levels[0].level must be an integer from 1 to 100`,
        `${FLOW}.levels[1].level must be an integer from 1 to 100`,
      ],
    ],
    [
      'a method that is not a name',
      { levels: [{ level: 2, authenticator: 'auth-otp-form', amr: 'one time' }] },
      [`${FLOW}.levels[0].amr must be a method name such as otp (letters, digits, . _ : ~ + / -)`],
    ],
  ])('refuses %s', (_name, flow, errors) => {
    expect(check(flow)).toEqual(errors);
  });

  it('a flow in error stops the route checks: their messages would be about a realm that is wrong', () => {
    const route = { method: 'POST', path: '/x', auth: 'keycloak', requirement: { stepUp: { minLoa: 5 } } };
    expect(check({ levels: [] }, [route])).toEqual([`${FLOW}.levels must list at least one level`]);
    expect(check({ levels: [{ level: 1, authenticator: 'auth-otp-form' }] }, [route])).toEqual([
      `${AT}.routes[0] (POST /x).requirement.stepUp.minLoa: issuer https://sso.example.com/realms/ml maps no acr to level 5 or above; set its acrLoaMap (Keycloak's acr.loa.map)`,
    ]);
  });
});
