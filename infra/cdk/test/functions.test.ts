import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { FUNCTIONS } from '../lib/functions';
import { logicalId, resources, synth } from './helpers';

describe('functions', () => {
  const { stack, template, json } = synth({}, { nag: false });

  test('every function of the platform is deployed, and nothing else runs code', () => {
    const deployed = resources(json, 'AWS::Lambda::Function').map(([, r]) => r.Properties.FunctionName).sort();
    expect(deployed).toEqual(FUNCTIONS.map((f) => `ballast-${f.name}`).sort());
  });

  test.each(FUNCTIONS.map((f) => [f.name, f] as const))('%s: arm64 on provided.al2023, traced, JSON logs, sized', (name, spec) => {
    const fn = stack.functions.get(name)!;
    expect(fn).toBeDefined();
    const props = json.Resources[logicalId(stack, fn)].Properties;
    expect(props.Architectures).toEqual(['arm64']);
    expect(props.Runtime).toBe('provided.al2023');
    expect(props.Handler).toBe('bootstrap');
    expect(props.TracingConfig).toEqual({ Mode: 'Active' });
    expect(props.LoggingConfig).toMatchObject({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO' });
    expect(props.MemorySize).toBe(spec.memoryMb);
    expect(props.Timeout).toBe(spec.timeout.toSeconds());
    expect(props.ReservedConcurrentExecutions).toBe(spec.reserved);
    // Its own log group, encrypted, with a retention.
    const group = json.Resources[props.LoggingConfig.LogGroup.Ref];
    expect(group.Properties).toMatchObject({ LogGroupName: `/aws/lambda/ballast-${name}`, RetentionInDays: 90 });
    expect(group.Properties.KmsKeyId).toBeDefined();
    // In the VPC exactly when it reaches the database.
    expect(props.VpcConfig !== undefined).toBe(spec.inVpc);
  });

  test('the functions get the environment their configuration reads', () => {
    const env = (name: string) => json.Resources[logicalId(stack, stack.functions.get(name as any)!)].Properties.Environment.Variables;
    expect(env('batching')).toEqual(
      expect.objectContaining({ BALLAST_TABLE: expect.anything(), BALLAST_VIEWS_TABLE: expect.anything(), BALLAST_STATE_MACHINE_ARN: expect.anything() }),
    );
    const submit = env('submit');
    expect(submit.BALLAST_ORDER_QUEUES).toBeDefined();
    expect(JSON.stringify(submit.BALLAST_ORDER_QUEUES)).toContain('XNYS');
    expect(submit.BALLAST_ORDER_QUEUE_DEFAULT).toBeDefined();
    expect(env('query')).not.toHaveProperty('BALLAST_TABLE');
    expect(env('anomaly-inference')).toEqual(expect.objectContaining({ BALLAST_ANOMALY_ENDPOINT: expect.anything(), BALLAST_DB_AUTH: 'iam' }));
    // The venues function records operators' verdicts in the same database, the same way.
    const db = ['BALLAST_DB_HOST', 'BALLAST_DB_PORT', 'BALLAST_DB_NAME', 'BALLAST_DB_USER', 'BALLAST_DB_AUTH'];
    for (const v of db) expect(env('venues')[v]).toEqual(env('anomaly-inference')[v]);
    expect(env('etf-classification')).toEqual(
      expect.objectContaining({ BALLAST_ETF_ENDPOINT: expect.anything(), BALLAST_BEDROCK_MODEL_ID: expect.stringContaining('anthropic') }),
    );
  });

  test('report consumers take SQS batches with partial batch failures', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(stack, stack.functions.get('execution-reports')!) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(stack, stack.functions.get('anomaly-inference')!) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  test('reserved concurrency can be turned off for accounts with a small quota', () => {
    const { json: j } = synth({ 'ballast:reservedConcurrency': 'false' }, { nag: false });
    for (const [, r] of resources(j, 'AWS::Lambda::Function')) expect(r.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });
});

describe('building the functions', () => {
  test('without prebuilt artifacts each function is a cargo-lambda build of its crate', () => {
    // Bundling is skipped in tests ('aws:cdk:bundling-stacks': []), so nothing compiles;
    // the asset is the crate's folder. Only the rebalance platform: no model image.
    const { json } = synth({ 'ballast:prebuilt': undefined }, { nag: false, models: false });
    const fns = resources(json, 'AWS::Lambda::Function');
    expect(fns).toHaveLength(8);
    for (const [, r] of fns) {
      expect(r.Properties.Architectures).toEqual(['arm64']);
      expect(r.Properties.Code.S3Key).toEqual(expect.anything());
    }
  });

  test('a missing prebuilt artifact stops synthesis with what to run', () => {
    expect(() => synth({ 'ballast:prebuilt': path.join(__dirname, 'no-such-dir') }, { nag: false })).toThrow(/make build/);
  });

  test('without a model image only the rebalance platform is deployed', () => {
    const { json } = synth({}, { nag: false, models: false });
    const names = resources(json, 'AWS::Lambda::Function').map(([, r]) => r.Properties.FunctionName);
    expect(names).not.toContain('ballast-anomaly-inference');
    expect(resources(json, 'AWS::SageMaker::Endpoint')).toHaveLength(0);
    expect(resources(json, 'AWS::RDS::DBCluster')).toHaveLength(0);
    expect(resources(json, 'AWS::StepFunctions::StateMachine')).toHaveLength(1);
    // No database: the venues function keeps operators' verdicts in its outbox only.
    const venues = resources(json, 'AWS::Lambda::Function').find(([, r]) => r.Properties.FunctionName === 'ballast-venues')![1];
    expect(Object.keys(venues.Properties.Environment.Variables).filter((k) => k.startsWith('BALLAST_DB_'))).toEqual([]);
    expect(venues.Properties.VpcConfig).toBeUndefined();
  });

  test('every function logs at info level (RUST_LOG) unless changed', () => {
    const { template } = synth({}, { nag: false, models: false });
    template.allResourcesProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ RUST_LOG: 'info' }) } });
  });
});
