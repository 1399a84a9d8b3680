import * as fs from 'node:fs';
import * as path from 'node:path';
import { STATE_MACHINE_DIR } from '../lib/ballast-stack';
import { logicalId, resources, synth } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const validateAsl: (definition: unknown, opts?: { checkPaths?: boolean; checkArn?: boolean }) => { isValid: boolean; errorsText: () => string } = require('asl-validator');

/** The deployed definition: DefinitionString with the substitutions put back. */
function deployed(json: any, id: string): any {
  const props = json.Resources[id].Properties;
  let text: string = typeof props.DefinitionString === 'string' ? props.DefinitionString : JSON.stringify(props.DefinitionString);
  for (const [k] of Object.entries(props.DefinitionSubstitutions ?? {})) {
    text = text.split('${' + k + '}').join(`arn:aws:lambda:us-east-1:123456789012:function:${k}`);
  }
  return JSON.parse(text);
}

describe('state-machine definitions', () => {
  test.each(['rebalance.asl.json', 'etf-nightly.asl.json'])('%s is valid Amazon States Language', (file) => {
    const definition = JSON.parse(fs.readFileSync(path.join(STATE_MACHINE_DIR, file), 'utf8'));
    const result = validateAsl(definition, { checkPaths: true, checkArn: true });
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  test('the validator rejects a broken definition (it is really checking)', () => {
    const definition = JSON.parse(fs.readFileSync(path.join(STATE_MACHINE_DIR, 'etf-nightly.asl.json'), 'utf8'));
    definition.States.Publish.Next = 'NoSuchState';
    delete definition.States.Publish.End;
    expect(validateAsl(definition).isValid).toBe(false);
  });
});

describe('rebalance state machine', () => {
  const { stack, json } = synth({}, { nag: false });
  const id = logicalId(stack, stack.rebalance);
  const def = deployed(json, id);

  test('the deployed definition is the shared one, substituted, and valid', () => {
    const shared = JSON.parse(fs.readFileSync(path.join(STATE_MACHINE_DIR, 'rebalance.asl.json'), 'utf8'));
    expect(Object.keys(def.States)).toEqual(Object.keys(shared.States));
    expect(validateAsl(def).isValid).toBe(true);
    const subs = json.Resources[id].Properties.DefinitionSubstitutions;
    expect(Object.keys(subs).sort()).toEqual(['CheckFunctionArn', 'FinalizeFunctionArn', 'RebalanceFunctionArn', 'SubmitFunctionArn']);
    expect(subs.SubmitFunctionArn).toEqual({ 'Fn::GetAtt': [logicalId(stack, stack.functions.get('submit')!), 'Arn'] });
  });

  test('a distributed Map over batches with bounded concurrency and a tolerated-failure threshold', () => {
    const map = def.States.Batches;
    expect(map.Type).toBe('Map');
    expect(map.ItemProcessor.ProcessorConfig.Mode).toBe('DISTRIBUTED');
    expect(map.MaxConcurrency).toBeGreaterThan(0);
    expect(map.MaxConcurrency).toBeLessThanOrEqual(stack.settings.reservedConcurrency ? 12 : 1000);
    expect(map.ToleratedFailurePercentage).toBe(100);
  });

  test('each batch step retries transient errors with back-off and catches the rest', () => {
    const steps = def.States.Batches.ItemProcessor.States;
    for (const name of ['Rebalance', 'Check', 'Submit']) {
      const retry = steps[name].Retry[0];
      expect(retry.ErrorEquals).toContain('Ballast.Transient');
      expect(retry.BackoffRate).toBeGreaterThan(1);
      expect(retry.MaxAttempts).toBeGreaterThan(1);
      expect(steps[name].Catch[0]).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'MarkBatchFailed' });
    }
  });

  test('logging (ALL, without execution data) and X-Ray tracing are on', () => {
    const props = json.Resources[id].Properties;
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    expect(props.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    const group = props.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
    expect(json.Resources[group].Properties.LogGroupName).toBe('/aws/vendedlogs/states/ballast-rebalance');
  });
});

describe('nightly ETF workflow', () => {
  const { stack, json } = synth({}, { nag: false });
  const id = logicalId(stack, stack.etfNightly!);
  const def = deployed(json, id);

  test('classify, then wait for a human review with a task token, then publish', () => {
    expect(validateAsl(def).isValid).toBe(true);
    expect(def.StartAt).toBe('Classify');
    expect(def.States.AnyToReview.Type).toBe('Choice');
    const wait = def.States.AwaitReview;
    expect(wait.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(wait.Parameters.Payload['task_token.$']).toBe('$$.Task.Token');
    expect(wait.TimeoutSeconds).toBe(72 * 3600);
    expect(wait.Next).toBe('Publish');
    expect(wait.Catch.map((c: any) => c.Next)).toEqual(['ReviewOverdue', 'ClassificationFailed']);
    expect(def.States.Publish.End).toBe(true);
  });

  test('the review timeout is a setting', () => {
    const { stack: s, json: j } = synth({ 'ballast:reviewTimeoutHours': 24 }, { nag: false });
    expect(deployed(j, logicalId(s, s.etfNightly!)).States.AwaitReview.TimeoutSeconds).toBe(24 * 3600);
  });

  test('runs nightly on weekdays at 02:00 New York time through EventBridge Scheduler', () => {
    const [[, schedule]] = resources(json, 'AWS::Scheduler::Schedule');
    expect(schedule.Properties.ScheduleExpression).toBe('cron(0 2 ? * MON-FRI *)');
    expect(schedule.Properties.ScheduleExpressionTimezone).toBe('America/New_York');
    expect(schedule.Properties.State).toBe('ENABLED');
    expect(schedule.Properties.Target.Arn).toEqual({ Ref: id });
    expect(schedule.Properties.Target.RetryPolicy.MaximumRetryAttempts).toBe(3);
  });

  test('the schedule and its time zone are settings, checked before anything deploys', () => {
    const { json: j } = synth({ 'ballast:etfScheduleCron': '30 23 ? * * *', 'ballast:etfScheduleTimeZone': 'Europe/London' }, { nag: false });
    const [[, schedule]] = resources(j, 'AWS::Scheduler::Schedule');
    expect(schedule.Properties.ScheduleExpression).toBe('cron(30 23 ? * * *)');
    expect(schedule.Properties.ScheduleExpressionTimezone).toBe('Europe/London');
    expect(() => synth({ 'ballast:etfScheduleCron': '0 2 * * *' }, { nag: false })).toThrow(/six fields/);
  });
});

describe('SageMaker endpoints and the database', () => {
  const { json } = synth({}, { nag: false });

  test('two endpoints from the model image, network-isolated, with data capture to the encrypted bucket', () => {
    const models = resources(json, 'AWS::SageMaker::Model');
    expect(models).toHaveLength(2);
    for (const [, m] of models) {
      expect(m.Properties.PrimaryContainer.Image).toMatch(/ballast-models:2026\.11$/);
      expect(m.Properties.EnableNetworkIsolation).toBe(true);
    }
    const configs = resources(json, 'AWS::SageMaker::EndpointConfig');
    for (const [, c] of configs) {
      expect(c.Properties.DataCaptureConfig).toMatchObject({ EnableCapture: true, InitialSamplingPercentage: 100 });
      expect(c.Properties.DataCaptureConfig.CaptureOptions).toEqual([{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }]);
      expect(c.Properties.KmsKeyId).toBeDefined();
    }
    expect(resources(json, 'AWS::SageMaker::Endpoint').map(([, e]) => e.Properties.EndpointName).sort()).toEqual(['ballast-anomaly', 'ballast-etf']);
  });

  test('Aurora PostgreSQL Serverless v2 in isolated subnets, encrypted, IAM auth, rotated secret', () => {
    const [[, cluster]] = resources(json, 'AWS::RDS::DBCluster');
    expect(cluster.Properties).toMatchObject({
      Engine: 'aurora-postgresql',
      StorageEncrypted: true,
      EnableIAMDatabaseAuthentication: true,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
    });
    for (const [, i] of resources(json, 'AWS::RDS::DBInstance')) expect(i.Properties).toMatchObject({ DBInstanceClass: 'db.serverless', PubliclyAccessible: false });
    for (const [, s] of resources(json, 'AWS::EC2::Subnet')) expect(s.Properties.MapPublicIpOnLaunch).toBe(false);
    expect(resources(json, 'AWS::EC2::InternetGateway')).toHaveLength(0);
    expect(resources(json, 'AWS::EC2::NatGateway')).toHaveLength(0);
    expect(resources(json, 'AWS::SecretsManager::RotationSchedule')).toHaveLength(1);
  });

  test('the VPC reaches only the AWS services the model functions call', () => {
    const endpoints = JSON.stringify(resources(json, 'AWS::EC2::VPCEndpoint'));
    // SQS: anomaly-inference and venues release held orders to the order queues.
    for (const svc of ['.dynamodb', '.s3', 'secretsmanager', 'sagemaker.runtime', 'bedrock-runtime', '.states', '.xray', '.sqs']) {
      expect(endpoints).toContain(svc);
    }
    expect(resources(json, 'AWS::EC2::VPCEndpoint')).toHaveLength(8);
  });

  test('whoever runs the training export may write under training/ and connect as the app user, nothing more', () => {
    const policies = resources(json, 'AWS::IAM::ManagedPolicy').filter(([, p]) => String(p.Properties.Description).startsWith('ballast-aurora export'));
    expect(policies).toHaveLength(1);
    const statements = policies[0][1].Properties.PolicyDocument.Statement;
    const grants = statements.map((st: any) => `${[st.Action].flat().join(',')} @ ${JSON.stringify(st.Resource)}`);
    expect(grants).toHaveLength(3);
    expect(grants[0]).toMatch(/^s3:PutObject @ .*"\/training\/\*"/);
    expect(grants[1]).toMatch(/^kms:GenerateDataKey @ /);
    expect(grants[2]).toMatch(/^rds-db:connect @ .*dbuser.*\/ballast_app/);
    expect(statements.every((st: any) => st.Effect === 'Allow' && st.Resource !== '*')).toBe(true);
    const outputs = json.Outputs;
    expect(JSON.stringify(outputs.TrainingExportPrefix.Value)).toContain('/training/');
    expect(outputs.TrainingExportPolicy.Value).toEqual({ Ref: policies[0][0] });
  });

  test('a model image that is not an ECR URI is refused', () => {
    expect(() => synth({ 'ballast:modelImage': 'docker.io/library/nginx:latest' }, { nag: false })).toThrow(/ECR image URI/);
  });
});
