#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BallastStack } from '../lib/ballast-stack';
import { settingsFrom } from '../lib/settings';

const app = new App();
const settings = settingsFrom(app.node);
new BallastStack(app, 'Ballast', {
  settings,
  // Account and region come from the deploying credentials; synthesis needs neither.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'Ballast: model-based, tax-aware rebalancing and trading platform',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
