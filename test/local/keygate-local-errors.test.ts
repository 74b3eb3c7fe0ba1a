/**
 * `keygate local` on what it cannot serve: each failure to start is one line on stderr and exit code 1
 * (never a stack trace), and a template it cannot fully understand (hand-edited, another authorizer type,
 * a Python function) names each route it cannot run, answering it 501, while the rest runs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssemblyError } from '../../local/assembly/assembly-model';
import type { AssemblyApi } from '../../local/assembly/assembly-model';
import { readAssembly } from '../../local/assembly/read-assembly';
import { serveAssembly } from '../../local/assembly/serve-assembly';
import { describeFailure, runKeygateLocal } from '../../local/keygate-cli';
import { synthOrdersApp } from './assembly-apps';
import { synthAuthorizersApp } from './assembly-apps-authorizers';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-local-errors-'));
const orders = path.join(work, 'orders');
const mixed = path.join(work, 'mixed');
let busy: Server;
let busyPort: number;

beforeAll(async () => {
  synthOrdersApp(orders);
  synthAuthorizersApp(mixed, 'https://login.example.com/oidc');
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
  busyPort = (busy.address() as AddressInfo).port;
}, 60_000);
afterAll(async () => {
  await new Promise((resolve) => busy?.close(resolve));
  fs.rmSync(work, { recursive: true, force: true });
});

/** A copy of a synthesized app, spoiled by `edit`. */
function spoiled(from: string, name: string, edit: (dir: string) => void): string {
  const dir = path.join(work, name);
  fs.cpSync(from, dir, { recursive: true });
  edit(dir);
  return dir;
}

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

function editTemplate(dir: string, file: string, edit: (t: Template) => void): void {
  const t = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Template;
  edit(t);
  fs.writeFileSync(path.join(dir, file), JSON.stringify(t));
}

/** The logical id of the resource of `type` whose id starts with `prefix`. */
function idOf(t: Template, type: string, prefix: string): string {
  const ids = Object.keys(t.Resources).filter((k) => t.Resources[k].Type === type && k.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0];
}

describe('keygate local: one clear line for each failure to start', () => {
  it.each([
    [
      'no assembly',
      () => ['--app', path.join(work, 'missing')],
      /^cannot read the cloud assembly: .*manifest\.json does not exist \(run `cdk synth` first, or name the folder with --app\)$/,
    ],
    [
      'a manifest that is not JSON',
      () => [
        '--app',
        spoiled(orders, 'bad-manifest', (d) =>
          fs.writeFileSync(path.join(d, 'manifest.json'), '{"artifacts":'),
        ),
      ],
      /^cannot read the cloud assembly: .*manifest\.json is not JSON \(/,
    ],
    [
      'a template that is not an object',
      () => [
        '--app',
        spoiled(orders, 'null-template', (d) =>
          fs.writeFileSync(path.join(d, 'Orders.template.json'), 'null'),
        ),
      ],
      /^cannot read the template of stack Orders: .*Orders\.template\.json is not a JSON object$/,
    ],
    [
      'a template without resources',
      () => [
        '--app',
        spoiled(orders, 'no-resources', (d) =>
          fs.writeFileSync(path.join(d, 'Orders.template.json'), '{"Resources":[]}'),
        ),
      ],
      /^cannot read the template of stack Orders: it has no Resources object$/,
    ],
    [
      'a folder in place of the template',
      () => [
        '--app',
        spoiled(orders, 'dir-template', (d) => {
          fs.rmSync(path.join(d, 'Orders.template.json'));
          fs.mkdirSync(path.join(d, 'Orders.template.json'));
        }),
      ],
      /^cannot read the template of stack Orders: .*Orders\.template\.json: EISDIR/,
    ],
    [
      'an unknown stack',
      () => ['--app', orders, '--stack', 'Nope'],
      /^--stack Nope is not a stack of .* \(stacks: Orders\)$/,
    ],
    [
      'a port in use',
      () => ['--app', orders, '--port', String(busyPort)],
      /^port \d+ on 127\.0\.0\.1 is in use: choose another with --port \/ --issuer-port \(0 = any\)$/,
    ],
    [
      'an issuer port in use',
      () => ['--app', orders, '--issuer-port', String(busyPort)],
      /^port \d+ on 127\.0\.0\.1 is in use: /,
    ],
  ])('%s', async (_name, args, message) => {
    // WHEN the command fails in this process
    const error = await runKeygateLocal(args()).then(
      (served) => served.close().then(() => undefined),
      (e: unknown) => e,
    );
    // THEN its description is the one line
    expect(error).toBeDefined();
    expect(describeFailure(error)).toMatch(message);
    if (!/port/.test(_name)) expect(error).toBeInstanceOf(AssemblyError);
  });

  it('prints that line alone on stderr and exits 1 when run as a command', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'local/keygate.ts', '--app', orders, '--port', String(busyPort)],
      { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.status).toBe(1);
    const lines = run.stderr
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('oidc-provider WARNING'));
    expect(lines).toEqual([
      `keygate local: port ${busyPort} on 127.0.0.1 is in use: choose another with --port / --issuer-port (0 = any)`,
    ]);
  });
});

/** The function id of the authorizer a route names. */
function fnId(api: AssemblyApi, authorizerId: string | undefined): string | undefined {
  return api.authorizers.find((a) => a.id === authorizerId)?.functionId;
}

describe('keygate local: a template it cannot fully understand', () => {
  it('answers 501 per route it cannot run, with the reason, and runs the rest', async () => {
    // GIVEN the four-authorizer API, hand-edited: a Python authorizer, a query-string identity source,
    // another authorizer type, and resources that are not resources at all
    const dir = spoiled(mixed, 'edited', (d) =>
      editTemplate(d, 'Authorizers.template.json', (t) => {
        t.Resources[idOf(t, 'AWS::Lambda::Function', 'TeamFn')].Properties.Runtime = 'python3.12';
        t.Resources[idOf(t, 'AWS::ApiGatewayV2::Authorizer', 'MixedApiToken')].Properties.IdentitySource = [
          '$stageVariables.team',
        ];
        t.Resources[idOf(t, 'AWS::ApiGatewayV2::Authorizer', 'MixedApiWide')].Properties.AuthorizerType =
          'COGNITO';
        (t.Resources as Record<string, unknown>).Nothing = null;
        (t.Resources as Record<string, unknown>).Untyped = { Properties: {} };
      }),
    );
    const served = await serveAssembly({ app: dir });
    try {
      const api = served.apis.find((a) => a.api.name === 'MixedApi')!;
      const team = api.api.routes.find((r) => r.path === '/team')!;
      // THEN each route says why it does not run, or runs
      expect(api.api.routes.map((r) => `${r.path}: ${r.unsupported ?? 'runs'}`).sort()).toEqual([
        '/claims: runs',
        '/orders: runs',
        `/team: function ${fnId(api.api, team.authorizerId)} runs on python3.12; the local gateway runs Node.js functions only`,
        '/token: route GET /token: its identity source $stageVariables.team is not emulated (request headers and query strings are)',
        '/wide: route GET /wide: its COGNITO authorizer is not a Lambda REQUEST or TOKEN authorizer of this stack',
      ]);
      expect(fnId(api.api, team.authorizerId)).toMatch(/^TeamFn[0-9A-F]{8}$/);
      // AND they answer 501 with it, while the other APIs of the stack run
      const res = await fetch(`${api.url}/wide`, { headers: { 'x-team': 'team-a' } });
      expect(res.status).toBe(501);
      expect(await res.json()).toEqual({
        message:
          'Not run locally: route GET /wide: its COGNITO authorizer is not a Lambda REQUEST or TOKEN authorizer of this stack',
      });
      expect((await fetch(`${api.url}/team`, { headers: { 'x-team': 'team-a' } })).status).toBe(501);
      const v1 = served.apis.find((a) => a.api.name === 'V1AuthApi')!;
      expect((await fetch(`${v1.url}/a`, { headers: { 'x-api-token': 'allow-ann' } })).status).toBe(200);
    } finally {
      await served.close();
    }
  }, 60_000);

  it('answers 501 on the routes of an authorizer whose Keygate config it cannot read, and starts', async () => {
    const dir = spoiled(orders, 'edited-config', (d) =>
      editTemplate(d, 'Orders.template.json', (t) => {
        const fn = t.Resources[idOf(t, 'AWS::Lambda::Function', 'AuthorizerFunction')];
        (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.KEYGATE_CONFIG =
          '{"issuers":';
      }),
    );
    const served = await serveAssembly({ app: dir });
    try {
      expect(served.issuers).toEqual([]);
      const messages = served.apis.flatMap((a) => a.api.routes.map((r) => r.unsupported));
      const why = `the KEYGATE_CONFIG of function ${fnId(served.apis[0].api, served.apis[0].api.routes[0].authorizerId)} is not a Keygate authorizer config (JSON with issuers and routes)`;
      expect(why).toMatch(/function AuthorizerFunction[0-9A-F]{8} is/);
      expect(messages).toEqual([why, why]);
      expect(
        (await fetch(`${served.apis[0].url}/orders`, { headers: { authorization: 'Bearer x' } })).status,
      ).toBe(501);
    } finally {
      await served.close();
    }
  }, 60_000);

  it.each([
    [
      'simple responses with payload format 1.0',
      { EnableSimpleResponses: true },
      'its authorizer has simple responses with payload format 1.0 (2.0 only)',
    ],
    [
      'payload format 3.0',
      { AuthorizerPayloadFormatVersion: '3.0' },
      "its authorizer's payload format 3.0 is not 1.0 or 2.0",
    ],
    [
      'a stage-variable identity source',
      { IdentitySource: ['$request.header.X-Api-Token', '$stageVariables.key'] },
      'its identity source $stageVariables.key is not emulated (request headers and query strings are)',
    ],
  ])('names an authorizer with %s on each of its routes', (name, properties, message) => {
    const dir = spoiled(mixed, `authorizer-${name.replace(/\W/g, '')}`, (d) =>
      editTemplate(d, 'Authorizers.template.json', (t) => {
        Object.assign(
          t.Resources[idOf(t, 'AWS::ApiGatewayV2::Authorizer', 'V1AuthApiV1')].Properties,
          properties,
        );
      }),
    );
    const api = readAssembly(dir).apis.find((a) => a.name === 'V1AuthApi')!;
    expect(api.routes.map((r) => r.unsupported)).toEqual([
      `route GET /a: ${message}`,
      `route GET /b: ${message}`,
    ]);
    expect(api.authorizers).toEqual([]);
  });

  it("names a JWT authorizer whose issuer is resolved only at deployment (a user pool's, in a stack without env)", () => {
    const dir = spoiled(mixed, 'jwt-region', (d) =>
      editTemplate(d, 'Authorizers.template.json', (t) => {
        t.Resources[idOf(t, 'AWS::ApiGatewayV2::Authorizer', 'MixedApiOidc')].Properties.JwtConfiguration = {
          Audience: ['client123'],
          Issuer: {
            'Fn::Join': [
              '',
              ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/eu-west-1_abc'],
            ],
          },
        };
      }),
    );
    const api = readAssembly(dir).apis.find((a) => a.name === 'MixedApi')!;
    const why =
      "its JWT authorizer's issuer is resolved only at deployment (a reference, or the region of a stack without env): give the stack an explicit region, or a literal issuer URL";
    expect(api.routes.filter((r) => r.unsupported).map((r) => r.unsupported)).toEqual([
      `route GET /orders: ${why}`,
      `route GET /claims: ${why}`,
    ]);
    expect(api.authorizers.map((a) => a.type)).toEqual(['REQUEST', 'REQUEST', 'REQUEST']);
  });

  it('reads any hand-edited property without failing other than with an AssemblyError', () => {
    const file = path.join(mixed, 'Authorizers.template.json');
    const original = fs.readFileSync(file, 'utf8');
    const dir = spoiled(mixed, 'fuzzed', () => undefined);
    const target = path.join(dir, 'Authorizers.template.json');
    const junk = fc.oneof(
      fc.constant(null),
      fc.integer(),
      fc.string(),
      fc.constant([]),
      fc.constant([null]),
      fc.constant({}),
      fc.constant({ Ref: 'Nowhere' }),
      fc.constant({ 'Fn::GetAtt': 5 }),
    );
    let read = 0;
    fc.assert(
      fc.property(fc.nat(), fc.nat(), junk, (which, prop, value) => {
        const t = JSON.parse(original) as Record<string, Record<string, Record<string, unknown>>>;
        const ids = Object.keys(t.Resources);
        const r = t.Resources[ids[which % ids.length]];
        const props = Object.keys((r.Properties as object | undefined) ?? {});
        if (prop % 7 === 0) r.Properties = value as never;
        else if (prop % 7 === 1) r.Type = value as never;
        else if (props.length > 0)
          (r.Properties as Record<string, unknown>)[props[prop % props.length]] = value;
        fs.writeFileSync(target, JSON.stringify(t));
        try {
          readAssembly(dir);
          read++;
        } catch (e) {
          expect(e).toBeInstanceOf(AssemblyError);
        }
      }),
      { numRuns: 300 },
    );
    // Most edits leave an API to serve: the reader did read them.
    expect(read).toBeGreaterThan(150);
  });
});
