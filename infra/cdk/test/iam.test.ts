import { ArnFormat, Stack } from 'aws-cdk-lib';
import { FunctionName, FUNCTIONS, TABLE_READ, TABLE_WRITE, VPC_NETWORK_ACTIONS } from '../lib/functions';
import { DB_APP_USER } from '../lib/models';
import { logicalId, resources, synth } from './helpers';

/**
 * Each function's role, read back from the template as (action, resource) pairs, must be
 * exactly what the function uses: no extra action, no other resource, no wildcard beyond
 * the ones the services require.
 */
const { stack, json } = synth({}, { nag: false });
const r = (token: string) => JSON.stringify(stack.resolve(token));
const data = stack.data;
const models = stack.models!;

function grantsOf(roleLogicalId: string): Set<string> {
  const out = new Set<string>();
  for (const [, policy] of resources(json, 'AWS::IAM::Policy')) {
    if (!policy.Properties.Roles.some((ref: any) => ref.Ref === roleLogicalId)) continue;
    for (const st of policy.Properties.PolicyDocument.Statement) {
      expect(st.Effect).toBe('Allow');
      expect(st.Condition).toBeUndefined();
      const actions: string[] = [].concat(st.Action);
      const res: any[] = [].concat(st.Resource);
      for (const a of actions) for (const x of res) out.add(`${a} @ ${JSON.stringify(x)}`);
    }
  }
  return out;
}

const pairs = (actions: string[], resourceList: string[]) => actions.flatMap((a) => resourceList.map((x) => `${a} @ ${x}`));
const table = (t: { tableArn: string }, write: boolean, extra: string[] = []) =>
  pairs([...TABLE_READ, ...(write ? TABLE_WRITE : []), ...extra], [r(t.tableArn)]);
const index = (t: { tableArn: string }, names: string[]) =>
  pairs(['dynamodb:Query'], names.map((n) => JSON.stringify(stack.resolve(`${t.tableArn}/index/${n}`))));
const consume = (q: { queueArn: string }) =>
  pairs(['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], [r(q.queueArn)]).concat(
    pairs(['kms:Decrypt'], [r(data.key.keyArn)]),
  );
const sendOrders = () => [
  ...pairs(['sqs:SendMessage'], [...data.orderQueues.values(), data.telemetryQueue!].map((q) => r(q.queueArn))),
  ...pairs(['kms:GenerateDataKey', 'kms:Decrypt'], [r(data.key.keyArn)]),
];
const dbConnect = () => [
  `rds-db:connect @ ${JSON.stringify(
    stack.resolve(
      Stack.of(stack).formatArn({
        service: 'rds-db',
        resource: 'dbuser',
        resourceName: `${models.database.clusterResourceIdentifier}/${DB_APP_USER}`,
        arnFormat: 'arn:aws:service:region:account:resource:resourceName' as any,
      }),
    ),
  )}`,
];

const expected: Record<FunctionName, () => string[]> = {
  batching: () => [
    ...table(data.table, true),
    ...index(data.table, ['by_household', 'by_model']),
    ...table(data.views, true),
    ...pairs(['states:StartExecution'], [r(stack.rebalance.stateMachineArn)]),
  ],
  query: () => table(data.views, false),
  rebalance: () => table(data.table, true),
  check: () => [...table(data.table, true), ...table(data.views, true)],
  submit: () => [...table(data.table, true), ...table(data.views, true), ...sendOrders()],
  finalize: () => [...table(data.table, true), ...table(data.views, true)],
  // Operators' verdicts on the detector go to Aurora (IAM auth as the user the functions share).
  venues: () => [...table(data.table, true), ...index(data.table, ['by_held']), ...table(data.views, true), ...sendOrders(), ...dbConnect()],
  'execution-reports': () => [...table(data.table, true), ...table(data.views, true), ...consume(data.reportQueue)],
  'anomaly-inference': () => [
    ...table(data.table, true),
    ...index(data.table, ['by_held']),
    ...table(data.views, true),
    ...sendOrders(),
    ...pairs(['sagemaker:InvokeEndpoint'], [JSON.stringify(stack.resolve(models.anomalyEndpoint.arn))]),
    ...consume(data.telemetryQueue!),
    ...dbConnect(),
  ],
  'etf-classification': () => [
    ...table(data.table, true),
    ...pairs(['states:SendTaskSuccess'], [
      JSON.stringify(
        stack.resolve(
          Stack.of(stack).formatArn({ service: 'states', resource: 'stateMachine', resourceName: `${stack.settings.prefix}-etf-nightly`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        ),
      ),
    ]),
    ...pairs(['sagemaker:InvokeEndpoint'], [JSON.stringify(stack.resolve(models.etfEndpoint.arn))]),
    ...pairs(['bedrock:InvokeModel'], [JSON.stringify(stack.resolve(`arn:aws:bedrock:us-east-1::foundation-model/${stack.settings.bedrockModelId}`))]),
    ...dbConnect(),
  ],
  'etf-review': () => [
    ...table(data.table, true),
    ...pairs(['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'], [r(stack.etfNightly!.stateMachineArn)]),
    ...dbConnect(),
  ],
};

describe('least privilege', () => {
  test.each(FUNCTIONS.map((f) => [f.name, f] as const))('%s may use exactly its own resources', (name, spec) => {
    const fn = stack.functions.get(name)!;
    const role = logicalId(stack, fn.role! as any);
    const logGroup = json.Resources[logicalId(stack, fn)].Properties.LoggingConfig.LogGroup.Ref;
    const own = [
      ...pairs(['logs:CreateLogStream', 'logs:PutLogEvents'], [JSON.stringify({ 'Fn::GetAtt': [logGroup, 'Arn'] })]),
      ...pairs(['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], ['"*"']),
      ...(spec.inVpc ? pairs(VPC_NETWORK_ACTIONS, ['"*"']) : []),
    ];
    const want = new Set([...own, ...expected[name]()]);
    const got = grantsOf(role);
    expect([...got].filter((g) => !want.has(g)).sort()).toEqual([]);
    expect([...want].filter((g) => !got.has(g)).sort()).toEqual([]);
    // Its role carries no managed policy (AWSLambdaBasicExecutionRole would allow every log group).
    expect(json.Resources[role].Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('nothing but tracing, VPC network interfaces and the ECR login is granted on "*"', () => {
    const allowedOnStar = new Set([
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      ...VPC_NETWORK_ACTIONS,
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
      'ecr:GetAuthorizationToken',
      'cloudwatch:PutMetricData',
      // Step Functions log delivery (CloudWatch Logs vended logs) has no resource-level permissions.
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ]);
    for (const [id, policy] of resources(json, 'AWS::IAM::Policy')) {
      for (const st of policy.Properties.PolicyDocument.Statement) {
        if (![].concat(st.Resource).includes('*' as never)) continue;
        for (const a of [].concat(st.Action) as string[]) {
          expect(`${id}: ${a}`).toBe(allowedOnStar.has(a) ? `${id}: ${a}` : `${id}: (not allowed on *)`);
        }
      }
    }
  });

  test('the rebalance state machine may invoke its four functions and start only its own child executions', () => {
    const role = logicalId(stack, stack.rebalance.role as any);
    const got = [...grantsOf(role)].filter((g) => !g.startsWith('xray:') && !g.startsWith('logs:'));
    const fns = ['rebalance', 'check', 'submit', 'finalize'].map((n) => r(stack.functions.get(n as FunctionName)!.functionArn));
    const name = 'ballast-rebalance';
    expect(json.Resources[logicalId(stack, stack.rebalance)].Properties.StateMachineName).toBe(name);
    expect(got.sort()).toEqual(
      [
        ...pairs(['lambda:InvokeFunction'], fns),
        `states:StartExecution @ ${r(`arn:aws:states:us-east-1:${stack.account}:stateMachine:${name}`)}`,
        ...pairs(['states:DescribeExecution', 'states:StopExecution'], [r(`arn:aws:states:us-east-1:${stack.account}:execution:${name}/*`)]),
      ].sort(),
    );
  });
});
