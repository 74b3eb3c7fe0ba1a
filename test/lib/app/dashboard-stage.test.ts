import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import type { StageConfig } from '../../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../../common/app-config';
import { validateStageConfig } from '../../../common/app-config-validate';
import { buildKeygateApp } from '../../../lib/app/build-app';
import { dashboardWidgets, metricIdentity } from '../../../scripts/dashboard-body';

function synth(stage: StageConfig): Template {
  const app = new App({
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-dashboard-app-')),
    context: { keygate: { stages: { dev: stage } }, 'aws:cdk:bundling-stacks': [] },
  });
  return Template.fromStack(buildKeygateApp(app));
}

describe('Keygate app: the stage dashboard', () => {
  const dev = DEFAULT_APP_CONFIG.stages.dev;

  test('is on by default, named after the stage, with a row per API and one for the models', () => {
    // GIVEN the embedded default (both APIs, two demo models)
    const template = synth(dev);
    // THEN
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0].Properties.DashboardName).toBe('keygate-dev');
    const widgets = dashboardWidgets(dashboards[0].Properties.DashboardBody);
    expect(widgets).toHaveLength(15);
    const rest = widgets.find((w) => w.properties.title === 'RestApi (REST API): requests and errors');
    expect(rest?.properties.metrics?.map(metricIdentity)).toEqual([
      ['AWS/ApiGateway', 'Count', 'ApiName', 'keygate-dev-rest', 'Stage', 'dev'],
      ['AWS/ApiGateway', '4XXError', 'ApiName', 'keygate-dev-rest', 'Stage', 'dev'],
      ['AWS/ApiGateway', '5XXError', 'ApiName', 'keygate-dev-rest', 'Stage', 'dev'],
    ]);
    const models = widgets.find((w) => w.properties.title === 'Model invocations (success) by model');
    expect(models?.properties.metrics?.map((m) => metricIdentity(m).slice(1))).toEqual([
      ['Invocations', 'ModelId', 'sentiment', 'Outcome', 'success'],
      ['Invocations', 'ModelId', 'keywords', 'Outcome', 'success'],
    ]);
  });

  test('shows only the deployed API type', () => {
    const widgets = dashboardWidgets(
      Object.values(synth({ ...dev, apis: { http: false } }).findResources('AWS::CloudWatch::Dashboard'))[0]
        .Properties.DashboardBody,
    );
    const titles = widgets.map((w) => w.properties.title ?? '');
    expect(titles.filter((t) => t.includes('(HTTP API)'))).toEqual([]);
    expect(titles.filter((t) => t.includes('(REST API)'))).toHaveLength(2);
  });

  test('is left out with dashboard: false', () => {
    const template = synth({ ...dev, dashboard: false });
    expect(Object.keys(template.findResources('AWS::CloudWatch::Dashboard'))).toHaveLength(0);
  });

  test('the switch must be a boolean, named in the message', () => {
    expect(validateStageConfig({ ...dev, dashboard: 'yes' }, 'keygate.stages.dev')).toEqual([
      "keygate.stages.dev.dashboard must be a boolean (true: the stage's CloudWatch dashboard, the default)",
    ]);
  });
});
