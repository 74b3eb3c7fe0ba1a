#!/usr/bin/env node
/** The Keygate CDK app: reads the `keygate` and `stage` context and builds that stage's stack. */
import { App } from 'aws-cdk-lib';
import { buildKeygateApp } from '../lib/app/build-app';

const app = new App();
buildKeygateApp(app);
