import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BallastStack } from '../lib/ballast-stack';
import { FUNCTIONS } from '../lib/functions';
import { settingsFrom } from '../lib/settings';

export const MODEL_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/ballast-models:2026.11';
// Region only, like an offline `cdk synth`: the account stays a token, so nothing is looked up.
export const ENV = { region: 'us-east-1' };

/** The feature flags and defaults of cdk.json, as `cdk synth` applies them. */
const CDK_JSON_CONTEXT = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')).context;

let prebuilt: string | undefined;

/** A folder shaped like target/lambda (`<function>/bootstrap`), so tests never build Rust. */
export function prebuiltDir(): string {
  if (prebuilt === undefined) {
    prebuilt = fs.mkdtempSync(path.join(os.tmpdir(), 'ballast-lambda-'));
    for (const f of FUNCTIONS) {
      fs.mkdirSync(path.join(prebuilt, f.name));
      fs.writeFileSync(path.join(prebuilt, f.name, 'bootstrap'), `#!/bin/sh\n# placeholder for ${f.name}\n`);
    }
  }
  return prebuilt;
}

export interface Synthesized {
  readonly app: App;
  readonly stack: BallastStack;
  readonly template: Template;
  readonly json: any;
  /** The cdk-nag report (validation-report.json), when the checks were applied. */
  readonly report?: any;
}

/**
 * The stack as `cdk synth` makes it, offline: prebuilt artifacts (or cargo-lambda bundling
 * skipped), cdk-nag's AwsSolutions pack applied unless `nag` is false.
 */
export function synth(context: Record<string, unknown> = {}, opts: { nag?: boolean; models?: boolean } = {}): Synthesized {
  const ctx: Record<string, unknown> = { 'ballast:prebuilt': prebuiltDir(), ...context };
  if (opts.models !== false && !('ballast:modelImage' in ctx)) ctx['ballast:modelImage'] = MODEL_IMAGE;
  if (ctx['ballast:prebuilt'] === undefined) delete ctx['ballast:prebuilt'];
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...ctx } });
  const stack = new BallastStack(app, 'Ballast', { settings: settingsFrom(app.node), env: ENV });
  if (opts.nag !== false) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const reportPath = path.join(assembly.directory, 'validation-report.json');
  const report = fs.existsSync(reportPath) ? JSON.parse(fs.readFileSync(reportPath, 'utf8')) : undefined;
  const template = Template.fromStack(stack);
  return { app, stack, template, json: template.toJSON(), report };
}

/** Resources of one CloudFormation type, by logical id. */
export function resources(json: any, type: string): [string, any][] {
  return Object.entries(json.Resources as Record<string, any>).filter(([, r]) => r.Type === type);
}

/** The logical id CloudFormation gives a construct's default resource. */
export function logicalId(stack: Stack, construct: { node: { defaultChild?: any } }): string {
  return stack.getLogicalId(construct.node.defaultChild);
}
