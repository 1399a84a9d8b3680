import { CfnElement, Token, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { BallastStack } from './ballast-stack';

/** One accepted cdk-nag finding: the construct, the finding id, and why it is right here. */
export interface Acknowledgement {
  readonly construct: IConstruct;
  readonly id: string;
  readonly reason: string;
}

const nag = (rule: string) => `AwsSolutions::AwsSolutions-${rule}`;

/**
 * Every cdk-nag (AwsSolutions) finding this design accepts, with the reason. Nothing is
 * acknowledged stack-wide: each one names the construct it applies to, so a new resource
 * with the same problem is still reported.
 */
export function acknowledgements(stack: BallastStack): Acknowledgement[] {
  const out: Acknowledgement[] = [];
  // How cdk-nag prints the stack's own pseudo parameters inside an ARN.
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  const ack = (construct: IConstruct | undefined, rule: string, reason: string) => {
    if (construct !== undefined) out.push({ construct, id: nag(rule), reason });
  };

  for (const [name, fn] of stack.functions) {
    ack(
      fn.role?.node.tryFindChild('DefaultPolicy'),
      'IAM5[Resource::*]',
      `${name}: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions` +
        (fn.isBoundToVpc
          ? '; nor do the ec2 network-interface actions Lambda needs to attach the function to its VPC subnets'
          : ''),
    );
  }
  for (const sm of [stack.rebalance, stack.etfNightly]) {
    if (sm === undefined) continue;
    ack(
      sm.role.node.tryFindChild('DefaultPolicy'),
      'IAM5[Resource::*]',
      'Step Functions logging (logs:CreateLogDelivery and the other log-delivery actions) and X-Ray tracing accept only "*" as their resource',
    );
  }
  ack(
    stack.rebalance.role.node.tryFindChild('DefaultPolicy'),
    `IAM5[Resource::arn:${partition}:states:${region}:${account}:execution:${stack.settings.prefix}-rebalance/*]`,
    "the distributed Map runs each batch as a child execution with a generated name; the wildcard covers only this state machine's own executions",
  );

  const api = stack.api.api;
  for (const method of api.methods) {
    ack(
      method,
      'COG4',
      'the API uses IAM (SigV4) authorization: its callers are the firm\'s own services and operators with IAM roles, not end users of a Cognito user pool',
    );
  }
  ack(
    api.node.tryFindChild('CloudWatchRole'),
    'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    'the account-wide role API Gateway uses to write access and execution logs; AWS documents this managed policy for it (turn it off with ballast:apiCloudWatchRole=false where the account has one)',
  );
  if (stack.settings.webAclArn === undefined) {
    ack(
      api.deploymentStage,
      'APIG3',
      'a WAF web ACL is firm-specific; set ballast:webAclArn to associate one (the API already requires SigV4 and is throttled)',
    );
  }

  const models = stack.models;
  if (models !== undefined) {
    const policy = models.node.tryFindChild('SageMakerRole')?.node.tryFindChild('DefaultPolicy');
    ack(policy, 'IAM5[Resource::*]', 'ecr:GetAuthorizationToken has no resource-level permissions; cloudwatch:PutMetricData is limited by a namespace condition instead');
    const bucket = `<${stack.getLogicalId(models.bucket.node.defaultChild as CfnElement)}.Arn>`;
    ack(policy, `IAM5[Resource::${bucket}/models/*]`, 'the endpoints read only the model artifacts under models/');
    ack(policy, `IAM5[Resource::${bucket}/data-capture/*]`, 'data capture writes only under data-capture/, in objects SageMaker names');
    ack(models.trainingExportPolicy, `IAM5[Resource::${bucket}/training/*]`, 'the training export writes only under training/, in objects the caller names');
    ack(
      policy,
      `IAM5[Resource::arn:${partition}:logs:${region}:${account}:log-group:/aws/sagemaker/Endpoints/${stack.settings.prefix}-*]`,
      "SageMaker names each endpoint's log streams; the wildcard covers only this deployment's endpoints",
    );
    ack(
      models.database.node.tryFindChild('MonitoringRole'),
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      'RDS Enhanced Monitoring requires this AWS managed policy on its monitoring role',
    );
  }
  return out;
}

/** Applies [`acknowledgements`]. */
export function suppressFindings(stack: BallastStack): void {
  for (const a of acknowledgements(stack)) {
    Validations.of(a.construct).acknowledge({ id: a.id, reason: a.reason });
  }
}
