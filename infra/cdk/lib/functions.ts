import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { RustFunction } from 'cargo-lambda-cdk';
import { Construct } from 'constructs';
import { Settings } from './settings';

/** The repository root (infra/cdk/lib → ../../..). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export type FunctionName =
  | 'batching'
  | 'query'
  | 'rebalance'
  | 'check'
  | 'submit'
  | 'finalize'
  | 'execution-reports'
  | 'venues'
  | 'anomaly-inference'
  | 'etf-classification'
  | 'etf-review';

/** What each Lambda gets: one row per crate under functions/. */
export interface FunctionSpec {
  readonly name: FunctionName;
  readonly description: string;
  readonly memoryMb: number;
  readonly timeout: Duration;
  /** Reserved concurrency: caps what one function can take from the account's pool and
   *  keeps a burst of one (say, reports) from starving the others. */
  readonly reserved: number;
  /** Deployed only with the model container (`ballast:modelImage`). */
  readonly needsModels: boolean;
  /** Runs in the VPC (it reaches Aurora) when the stack has one (with the models). */
  readonly inVpc: boolean;
}

export const FUNCTIONS: readonly FunctionSpec[] = [
  { name: 'batching', description: 'POST /rebalances: validates, writes the job and its batches, starts the workflow', memoryMb: 512, timeout: Duration.seconds(29), reserved: 20, needsModels: false, inVpc: false },
  { name: 'query', description: 'GET /rebalances/{id} and /trades from the read side', memoryMb: 256, timeout: Duration.seconds(10), reserved: 50, needsModels: false, inVpc: false },
  // Rebalance, check and submit run once per batch; the Map runs at most 10 batches at once.
  { name: 'rebalance', description: 'Step 1 of a batch: the trades for each account', memoryMb: 1024, timeout: Duration.seconds(120), reserved: 12, needsModels: false, inVpc: false },
  { name: 'check', description: 'Step 2 of a batch: the pre-trade compliance checks', memoryMb: 1024, timeout: Duration.seconds(120), reserved: 12, needsModels: false, inVpc: false },
  { name: 'submit', description: 'Step 3 of a batch: each passing order written once and queued to its market center', memoryMb: 512, timeout: Duration.seconds(120), reserved: 12, needsModels: false, inVpc: false },
  { name: 'finalize', description: 'Marks failed batches and settles the job', memoryMb: 256, timeout: Duration.seconds(60), reserved: 5, needsModels: false, inVpc: false },
  { name: 'execution-reports', description: 'Applies market-center execution reports to orders and the read side', memoryMb: 256, timeout: Duration.seconds(30), reserved: 20, needsModels: false, inVpc: false },
  // With the models it records operators' verdicts on the detector in Aurora.
  { name: 'venues', description: 'GET /venues and operator overrides of a market center\'s health; releases held orders; records verdicts', memoryMb: 256, timeout: Duration.seconds(29), reserved: 5, needsModels: false, inVpc: true },
  { name: 'anomaly-inference', description: 'Scores market-center telemetry with the RCF endpoint and sets venue health', memoryMb: 512, timeout: Duration.seconds(60), reserved: 5, needsModels: true, inVpc: true },
  { name: 'etf-classification', description: 'Nightly ETF classification: classify, request review, publish', memoryMb: 1024, timeout: Duration.minutes(15), reserved: 2, needsModels: true, inVpc: true },
  { name: 'etf-review', description: 'ETF review API: pending reviews, approve or override', memoryMb: 256, timeout: Duration.seconds(29), reserved: 5, needsModels: true, inVpc: true },
];

/** What Lambda needs to attach a function to its VPC subnets (no resource-level permissions). */
export const VPC_NETWORK_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

/** Release-profile settings `make build` also uses: small, stripped binaries. */
const RELEASE_PROFILE = {
  CARGO_PROFILE_RELEASE_OPT_LEVEL: 's',
  CARGO_PROFILE_RELEASE_LTO: 'true',
  CARGO_PROFILE_RELEASE_CODEGEN_UNITS: '1',
  CARGO_PROFILE_RELEASE_STRIP: 'true',
  CARGO_PROFILE_RELEASE_DEBUG: '0',
};

export interface BallastFunctionProps {
  readonly spec: FunctionSpec;
  readonly settings: Settings;
  readonly environment: Record<string, string>;
  readonly logKey: kms.IKey;
  readonly vpc?: ec2.IVpc;
  readonly securityGroup?: ec2.ISecurityGroup;
}

/**
 * One Rust Lambda: arm64 on provided.al2023, X-Ray active tracing, JSON logs into its own
 * encrypted log group with a retention, reserved concurrency. Built by cargo-lambda while
 * synthesizing, or taken from `<ballast:prebuilt>/<name>/bootstrap` (`make build` output).
 */
export function ballastFunction(scope: Construct, id: string, props: BallastFunctionProps): lambda.Function {
  const { spec, settings } = props;
  const functionName = `${settings.prefix}-${spec.name}`;
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    logGroupName: `/aws/lambda/${functionName}`,
    retention: settings.logRetentionDays as logs.RetentionDays,
    encryptionKey: props.logKey,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  // Its own role, with no AWS managed policy: logs to its own group, traces, and (in the
  // VPC) the network interfaces Lambda attaches. Everything else is granted by the stack.
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Ballast ${spec.name} function`,
  });
  role.addToPolicy(
    new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
  );
  role.addToPolicy(new iam.PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] }));
  if (props.vpc !== undefined) {
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: VPC_NETWORK_ACTIONS,
        resources: ['*'],
      }),
    );
  }
  const common: lambda.FunctionOptions = {
    functionName,
    description: spec.description,
    role,
    architecture: lambda.Architecture.ARM_64,
    memorySize: spec.memoryMb,
    timeout: spec.timeout,
    reservedConcurrentExecutions: settings.reservedConcurrency ? spec.reserved : undefined,
    tracing: lambda.Tracing.ACTIVE,
    loggingFormat: lambda.LoggingFormat.JSON,
    applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
    systemLogLevelV2: lambda.SystemLogLevel.WARN,
    logGroup,
    environment: { ...props.environment, RUST_LOG: 'info' },
    vpc: props.vpc,
    vpcSubnets: props.vpc ? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } : undefined,
    securityGroups: props.securityGroup ? [props.securityGroup] : undefined,
  };
  let fn: lambda.Function;
  if (settings.prebuiltDir !== undefined) {
    const dir = path.resolve(settings.prebuiltDir, spec.name);
    if (!fs.existsSync(path.join(dir, 'bootstrap'))) {
      throw new Error(`ballast:prebuilt: ${dir}/bootstrap is missing; run \`make build\` first (or drop the flag to build while synthesizing)`);
    }
    fn = new lambda.Function(scope, id, {
      ...common,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      handler: 'bootstrap',
      code: lambda.Code.fromAsset(dir),
    });
  } else {
    fn = new RustFunction(scope, id, {
      ...common,
      runtime: 'provided.al2023',
      manifestPath: path.join(REPO_ROOT, 'functions', spec.name, 'Cargo.toml'),
      bundling: { architecture: lambda.Architecture.ARM_64, environment: RELEASE_PROFILE },
    });
  }
  return fn;
}

/** DynamoDB actions the ports use: reads (get, batch get, query, transaction condition
 *  checks) and writes (put, update, batch write). Nothing scans; streams are off. */
export const TABLE_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
export const TABLE_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'];

/** Grants one function exactly the table access it uses: reads, or reads and writes, on
 *  the table, and queries on the named indexes only. */
export function grantTable(
  fn: lambda.Function,
  table: { tableArn: string },
  access: { write: boolean; deletes?: boolean; indexes?: string[] },
): void {
  const actions = [...TABLE_READ, ...(access.write ? TABLE_WRITE : []), ...(access.deletes ? ['dynamodb:DeleteItem'] : [])];
  fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [table.tableArn] }));
  const indexes = access.indexes ?? [];
  if (indexes.length > 0) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: indexes.map((i) => `${table.tableArn}/index/${i}`) }),
    );
  }
}
