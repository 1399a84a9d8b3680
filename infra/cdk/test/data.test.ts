import { Match } from 'aws-cdk-lib/assertions';
import { DEFAULTS } from '../lib/settings';
import { logicalId, resources, synth } from './helpers';

describe('tables', () => {
  const { stack, template, json } = synth({}, { nag: false });

  test('both tables: on demand, point-in-time recovery, encrypted, protected from deletion', () => {
    const tables = resources(json, 'AWS::DynamoDB::GlobalTable');
    expect(tables.map(([, t]) => t.Properties.TableName).sort()).toEqual(['ballast', 'ballast-views']);
    for (const [, t] of tables) {
      expect(t.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(t.Properties.SSESpecification).toMatchObject({ SSEEnabled: true });
      expect(t.Properties.Replicas.every((r: any) => r.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled === true)).toBe(true);
      expect(t.Properties.Replicas.every((r: any) => r.DeletionProtectionEnabled === true)).toBe(true);
      expect(t.Properties.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      expect(t.DeletionPolicy).toBe('Retain');
    }
  });

  test('the write table has the TTL and the indexes of docs/DATA-MODEL.md', () => {
    const t = json.Resources[logicalId(stack, stack.data.table)].Properties;
    expect(t.TimeToLiveSpecification).toEqual({ AttributeName: 'expires_at', Enabled: true });
    const indexes = Object.fromEntries(t.GlobalSecondaryIndexes.map((i: any) => [i.IndexName, [i.KeySchema.map((k: any) => k.AttributeName), i.Projection.ProjectionType]]));
    expect(indexes).toEqual({
      by_job: [['gsi1pk', 'gsi1sk'], 'ALL'],
      by_household: [['household', 'pk'], 'KEYS_ONLY'],
      by_held: [['held_for', 'pk'], 'ALL'],
      by_model: [['model', 'pk'], 'KEYS_ONLY'],
    });
  });

  test('replica regions make both tables global tables', () => {
    const { json: j } = synth({ 'ballast:replicaRegions': 'us-west-2,eu-west-1' }, { nag: false });
    for (const [, t] of resources(j, 'AWS::DynamoDB::GlobalTable')) {
      expect(t.Properties.Replicas.map((r: any) => r.Region).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2']);
      expect(t.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    }
    expect(template).toBeDefined();
  });
});

describe('queues', () => {
  const { stack, json } = synth({}, { nag: false });
  const queues = resources(json, 'AWS::SQS::Queue');
  const byArn = new Map(queues.map(([id, q]) => [id, q]));

  test('every queue is a dead-letter queue or has one, after a bounded number of receives', () => {
    const dlqIds = new Set<string>();
    for (const [, q] of queues) {
      const redrive = q.Properties.RedrivePolicy;
      if (redrive === undefined) continue;
      const target = redrive.deadLetterTargetArn['Fn::GetAtt'][0];
      expect(byArn.has(target)).toBe(true);
      expect(redrive.maxReceiveCount).toBe(5);
      // A FIFO queue needs a FIFO dead-letter queue.
      expect(byArn.get(target).Properties.FifoQueue === true).toBe(q.Properties.FifoQueue === true);
      dlqIds.add(target);
    }
    for (const [id, q] of queues) {
      if (q.Properties.RedrivePolicy === undefined) expect(dlqIds.has(id) ? id : `${q.Properties.QueueName} has no DLQ`).toBe(id);
    }
    expect(dlqIds.size).toBe(queues.length / 2);
  });

  test('every queue is encrypted with the platform key and refuses plain HTTP', () => {
    const key = logicalId(stack, stack.data.key);
    for (const [id, q] of queues) {
      expect(q.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
      const policy = resources(json, 'AWS::SQS::QueuePolicy').find(([, p]) => p.Properties.Queues.some((x: any) => x.Ref === id));
      expect(policy).toBeDefined();
      expect(JSON.stringify(policy![1].Properties.PolicyDocument)).toContain('aws:SecureTransport');
    }
  });

  test('one FIFO order queue per market center, deduplicated by id (the order id), not content', () => {
    for (const mc of DEFAULTS.marketCenters) {
      const q = queues.find(([, x]) => x.Properties.QueueName === `ballast-orders-${mc}.fifo`);
      expect(q).toBeDefined();
      expect(q![1].Properties).toMatchObject({ FifoQueue: true, ContentBasedDeduplication: false, DeduplicationScope: 'messageGroup' });
    }
  });

  test('execution reports fan out from one topic to the projector and the anomaly detector', () => {
    const subs = resources(json, 'AWS::SNS::Subscription');
    expect(subs).toHaveLength(2);
    for (const [, s] of subs) expect(s.Properties).toMatchObject({ Protocol: 'sqs', RawMessageDelivery: true });
    const topic = resources(json, 'AWS::SNS::Topic').find(([, t]) => t.Properties.TopicName === 'ballast-execution-reports');
    expect(topic![1].Properties.KmsMasterKeyId).toBeDefined();
  });

  test('alarms on every dead-letter queue depth and every working queue age', () => {
    const alarms = resources(json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    for (const [id, q] of queues) {
      const name = q.Properties.QueueName;
      const metric = q.Properties.RedrivePolicy === undefined ? 'ApproximateNumberOfMessagesVisible' : 'ApproximateAgeOfOldestMessage';
      const alarm = alarms.find(
        (a) => a.MetricName === metric && a.Dimensions?.[0]?.Value?.['Fn::GetAtt']?.[0] === id,
      );
      expect(alarm ? name : `${name}: no ${metric} alarm`).toBe(name);
      expect(alarm.AlarmActions).toEqual([expect.objectContaining({ Ref: expect.stringMatching(/Alarms/) })]);
    }
  });
});

describe('monitoring', () => {
  const { json, template } = synth({}, { nag: false });
  test('errors and throttles of every function, failed executions and anomalies raise alarms; one dashboard', () => {
    const alarms = resources(json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const fns = resources(json, 'AWS::Lambda::Function').map(([id]) => id);
    for (const fn of fns) {
      for (const m of ['Errors', 'Throttles']) {
        expect(alarms.some((a) => a.MetricName === m && a.Dimensions?.[0]?.Value?.Ref === fn)).toBe(true);
      }
    }
    expect(alarms.filter((a) => a.MetricName === 'ExecutionsFailed')).toHaveLength(2);
    expect(alarms.some((a) => a.Namespace === 'Ballast' && a.MetricName === 'MarketCenterAnomalies')).toBe(true);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'ballast-alarms', KmsMasterKeyId: Match.anyValue() });
  });
});
