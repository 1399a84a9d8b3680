import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { acknowledgements } from '../lib/nag';
import { synth } from './helpers';

/** The cdk-nag plugin's findings that no acknowledgement covers, as "rule at path". */
function unacknowledged(report: any): string[] {
  const plugin = report.pluginReports.find((p: any) => p.pluginName === 'AwsSolutions');
  return plugin.violations.flatMap((v: any) => v.violatingConstructs.map((c: any) => `${v.ruleName} at ${c.constructPath}`));
}

describe('cdk-nag AwsSolutions', () => {
  test.each([
    ['with the models', {}, true],
    ['without the models', {}, false],
    ['with replicas, a WAF ACL and an alarm e-mail', { 'ballast:replicaRegions': 'us-west-2', 'ballast:webAclArn': 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/firm/abc', 'ballast:alarmEmail': 'ops@example.com' }, true],
  ] as const)('%s: no finding is left unacknowledged', (_name, context, models) => {
    const { report } = synth(context, { models });
    expect(report).toBeDefined();
    expect(unacknowledged(report)).toEqual([]);
    const plugin = report.pluginReports.find((p: any) => p.pluginName === 'AwsSolutions');
    expect(plugin.conclusion).toBe('success');
  });

  test('every acknowledgement names its construct and says why', () => {
    const { stack, report } = synth();
    const acks = acknowledgements(stack);
    expect(acks.length).toBeGreaterThan(10);
    for (const a of acks) {
      expect(a.id).toMatch(/^AwsSolutions::AwsSolutions-[A-Z0-9]+/);
      expect(a.reason.length).toBeGreaterThan(40);
    }
    // Each acknowledgement answers a real finding (none is left over from an old design).
    const plugin = report.pluginReports.find((p: any) => p.pluginName === 'AwsSolutions');
    const used = new Set(plugin.suppressedViolations.map((s: any) => `${s.acknowledgedId} @ ${s.acknowledgedAt}`));
    for (const a of acks) expect(used.has(`${a.id} @ ${a.construct.node.path}`) ? 'used' : `${a.id} @ ${a.construct.node.path}`).toBe('used');
  });

  test('the checks catch a resource that breaks the rules (the test can fail)', () => {
    const app = new App();
    const stack = new Stack(app, 'Bad');
    new sqs.Queue(stack, 'Plain', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    let found: string[] = [];
    try {
      const assembly = app.synth();
      found = unacknowledged(JSON.parse(require('node:fs').readFileSync(`${assembly.directory}/validation-report.json`, 'utf8')));
    } catch (e) {
      found = [String(e)];
    }
    expect(found.join('\n')).toMatch(/AwsSolutions-SQS/);
  });
});
