import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, StackProps, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { Api } from './api';
import { Data } from './data';
import { ballastFunction, FUNCTIONS, FunctionName, grantTable, REPO_ROOT } from './functions';
import { DB_APP_USER, DB_NAME, Models } from './models';
import { Monitoring } from './monitoring';
import { suppressFindings } from './nag';
import { Settings } from './settings';

export const STATE_MACHINE_DIR = path.join(REPO_ROOT, 'infra', 'statemachine');

/** The nightly ETF workflow's definition, with the review timeout of the settings. */
export function etfDefinition(settings: Settings): Record<string, any> {
  const definition = JSON.parse(fs.readFileSync(path.join(STATE_MACHINE_DIR, 'etf-nightly.asl.json'), 'utf8'));
  definition.States.AwaitReview.TimeoutSeconds = Math.round(settings.reviewTimeoutHours * 3600);
  return definition;
}

export interface BallastStackProps extends StackProps {
  readonly settings: Settings;
}

/**
 * The whole platform in one stack: API → batching → the rebalance state machine
 * (rebalance → check → submit per batch, finalize) → market-center FIFO queues; execution
 * reports back through SNS → SQS to the projector (and the anomaly detector); the read side
 * for the query routes; and, with a model image, the SageMaker endpoints, the anomaly
 * function, the nightly ETF workflow and Aurora for the feedback loop.
 */
export class BallastStack extends Stack {
  readonly settings: Settings;
  readonly functions = new Map<FunctionName, lambda.Function>();
  readonly data: Data;
  readonly models?: Models;
  readonly rebalance: sfn.StateMachine;
  readonly etfNightly?: sfn.StateMachine;
  readonly api: Api;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: BallastStackProps) {
    super(scope, id, props);
    const settings = (this.settings = props.settings);
    const withModels = settings.modelImage !== undefined;
    const data = (this.data = new Data(this, 'Data', settings));
    const models = (this.models = withModels ? new Models(this, 'Models', settings, data.key) : undefined);

    const tables = { BALLAST_TABLE: data.table.tableName, BALLAST_VIEWS_TABLE: data.views.tableName };
    const make = (name: FunctionName, environment: Record<string, string>): lambda.Function => {
      const spec = FUNCTIONS.find((f) => f.name === name)!;
      const fn = ballastFunction(this, `${camel(name)}Function`, {
        spec,
        settings,
        environment,
        logKey: data.key,
        vpc: spec.inVpc ? models?.vpc : undefined,
        securityGroup: spec.inVpc ? models?.functionSecurityGroup : undefined,
      });
      this.functions.set(name, fn);
      return fn;
    };

    // The rebalance flow.
    const rebalanceName = `${settings.prefix}-rebalance`;
    const rebalanceArn = this.formatArn({ service: 'states', resource: 'stateMachine', resourceName: rebalanceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const batching = make('batching', { ...tables, BALLAST_STATE_MACHINE_ARN: rebalanceArn });
    const query = make('query', { BALLAST_VIEWS_TABLE: data.views.tableName });
    const rebalance = make('rebalance', { BALLAST_TABLE: data.table.tableName });
    const check = make('check', tables);
    const orderQueues: Record<string, string> = {};
    for (const [mc, q] of data.orderQueues) orderQueues[mc] = q.queueUrl;
    // With the models, every order sent is also reported to the anomaly detector's queue.
    const queuesEnv: Record<string, string> = {
      BALLAST_ORDER_QUEUES: this.toJsonString(orderQueues),
      BALLAST_ORDER_QUEUE_DEFAULT: data.orderQueues.get(settings.defaultMarketCenter)!.queueUrl,
      ...(data.telemetryQueue ? { BALLAST_TELEMETRY_QUEUE: data.telemetryQueue.queueUrl } : {}),
    };
    // SendMessageBatch is authorized as SendMessage; the queues are encrypted with the key.
    const sendTargets = [...data.orderQueues.values(), ...(data.telemetryQueue ? [data.telemetryQueue] : [])];
    const grantSendOrders = (fn: lambda.Function) => {
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: sendTargets.map((q) => q.queueArn) }));
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [data.key.keyArn] }));
    };
    const submit = make('submit', { ...tables, ...queuesEnv });
    const finalize = make('finalize', tables);
    // Operators' overrides of venue health; lifting a halt releases the held orders. With the
    // models, each override's verdict on the detector goes to Aurora too (after the outbox).
    const db = models === undefined ? undefined : {
      BALLAST_DB_HOST: models.database.clusterEndpoint.hostname,
      BALLAST_DB_PORT: '5432',
      BALLAST_DB_NAME: DB_NAME,
      BALLAST_DB_USER: DB_APP_USER,
      BALLAST_DB_AUTH: 'iam',
    };
    const venues = make('venues', { ...tables, ...queuesEnv, ...db });
    const reports = make('execution-reports', tables);

    const rw = { write: true };
    grantTable(batching, data.table, { write: true, indexes: ['by_household', 'by_model'] });
    grantTable(batching, data.views, rw);
    grantTable(query, data.views, { write: false });
    grantTable(rebalance, data.table, rw);
    grantTable(check, data.table, rw);
    grantTable(check, data.views, rw);
    grantTable(submit, data.table, rw);
    grantTable(submit, data.views, rw);
    grantSendOrders(submit);
    grantTable(venues, data.table, { write: true, indexes: ['by_held'] });
    grantTable(venues, data.views, rw);
    grantSendOrders(venues);
    if (models !== undefined) models.database.grantConnect(venues, DB_APP_USER);
    grantTable(finalize, data.table, rw);
    grantTable(finalize, data.views, rw);
    grantTable(reports, data.table, rw);
    grantTable(reports, data.views, rw);
    reports.addEventSource(
      new SqsEventSource(data.reportQueue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
      }),
    );

    this.rebalance = new sfn.StateMachine(this, 'Rebalance', {
      stateMachineName: rebalanceName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      // Inline, so the template carries the definition (no asset upload, and cfn-lint sees it).
      definitionBody: sfn.DefinitionBody.fromString(fs.readFileSync(path.join(STATE_MACHINE_DIR, 'rebalance.asl.json'), 'utf8')),
      definitionSubstitutions: {
        RebalanceFunctionArn: rebalance.functionArn,
        CheckFunctionArn: check.functionArn,
        SubmitFunctionArn: submit.functionArn,
        FinalizeFunctionArn: finalize.functionArn,
      },
      tracingEnabled: true,
      logs: { destination: this.vendedLogGroup('RebalanceLogs', rebalanceName), level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    // The definition invokes the unqualified function ARNs: no versions, no aliases.
    this.rebalance.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [rebalance, check, submit, finalize].map((f) => f.functionArn) }),
    );
    // The distributed Map runs each batch as a child execution of this state machine.
    this.rebalance.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [rebalanceArn] }));
    this.rebalance.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [this.formatArn({ service: 'states', resource: 'execution', resourceName: `${rebalanceName}/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );
    this.rebalance.grantStartExecution(batching);

    let etfReview: lambda.Function | undefined;
    if (models !== undefined) {
      // It sets venue health and, when a venue recovers, releases the orders held for it.
      const anomaly = make('anomaly-inference', {
        ...tables,
        ...queuesEnv,
        BALLAST_ANOMALY_ENDPOINT: models.anomalyEndpoint.name,
        BALLAST_ANOMALY_SHINGLE: '8',
        ...db,
      });
      grantTable(anomaly, data.table, { write: true, indexes: ['by_held'] });
      grantTable(anomaly, data.views, { write: true });
      grantSendOrders(anomaly);
      anomaly.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:InvokeEndpoint'], resources: [models.anomalyEndpoint.arn] }));
      models.database.grantConnect(anomaly, DB_APP_USER);
      anomaly.addEventSource(
        new SqsEventSource(data.telemetryQueue!, {
          batchSize: 100,
          maxBatchingWindow: Duration.seconds(5),
          reportBatchItemFailures: true,
        }),
      );

      const classify = make('etf-classification', {
        BALLAST_TABLE: data.table.tableName,
        BALLAST_ETF_ENDPOINT: models.etfEndpoint.name,
        BALLAST_BEDROCK_MODEL_ID: settings.bedrockModelId,
        ...db,
      });
      // The feed, the approvals (the security master's ETF overlay), reviews and runs.
      grantTable(classify, data.table, { write: true });
      classify.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:InvokeEndpoint'], resources: [models.etfEndpoint.arn] }));
      classify.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['bedrock:InvokeModel'],
          resources: [this.formatArn({ service: 'bedrock', account: '', resource: 'foundation-model', resourceName: settings.bedrockModelId })],
        }),
      );
      models.database.grantConnect(classify, DB_APP_USER);

      const etfName = `${settings.prefix}-etf-nightly`;
      this.etfNightly = new sfn.StateMachine(this, 'EtfNightly', {
        stateMachineName: etfName,
        stateMachineType: sfn.StateMachineType.STANDARD,
        definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(etfDefinition(settings), null, 2)),
        definitionSubstitutions: { EtfClassificationFunctionArn: classify.functionArn },
        tracingEnabled: true,
        logs: { destination: this.vendedLogGroup('EtfNightlyLogs', etfName), level: sfn.LogLevel.ALL, includeExecutionData: false },
      });
      this.etfNightly.addToRolePolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [classify.functionArn] }));
      // When every review of a run was decided before the workflow started waiting, the
      // wait step resumes it at once. The ARN is built from the name: a reference to the
      // state machine would make the function depend on the machine that invokes it.
      classify.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['states:SendTaskSuccess'],
          resources: [this.formatArn({ service: 'states', resource: 'stateMachine', resourceName: etfName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
        }),
      );

      etfReview = make('etf-review', { BALLAST_TABLE: data.table.tableName, ...db });
      grantTable(etfReview, data.table, { write: true });
      models.database.grantConnect(etfReview, DB_APP_USER);
      // A reviewer's decision resumes the run waiting on its task token.
      this.etfNightly.grantTaskResponse(etfReview);

      new scheduler.Schedule(this, 'EtfSchedule', {
        scheduleName: `${settings.prefix}-etf-nightly`,
        description: 'Nightly ETF classification run',
        schedule: scheduler.ScheduleExpression.expression(`cron(${settings.etfScheduleCron})`, TimeZone.of(settings.etfScheduleTimeZone)),
        target: new targets.StepFunctionsStartExecution(this.etfNightly, {
          input: scheduler.ScheduleTargetInput.fromObject({ trigger: 'schedule' }),
          retryAttempts: 3,
          maxEventAge: Duration.hours(2),
        }),
      });
    }

    this.api = new Api(this, 'Api', { settings, key: data.key, batching, query, venues, etfReview });

    const machines = new Map<string, sfn.IStateMachine>([['rebalance', this.rebalance]]);
    if (this.etfNightly) machines.set('etf-nightly', this.etfNightly);
    this.monitoring = new Monitoring(this, 'Monitoring', {
      settings,
      key: data.key,
      functions: this.functions,
      deadLetterQueues: data.deadLetterQueues,
      workQueues: data.workQueues,
      stateMachines: machines,
      api: this.api.api,
      anomalies: withModels,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url, description: 'Base URL of the API (SigV4-signed requests)' });
    new CfnOutput(this, 'ExecutionReportTopic', { value: data.reportTopic.topicArn, description: 'Market centers publish execution reports here' });
    new CfnOutput(this, 'OrderQueues', { value: this.toJsonString(orderQueues), description: 'Market center → FIFO order queue URL' });
    new CfnOutput(this, 'RebalanceStateMachine', { value: this.rebalance.stateMachineArn });
    new CfnOutput(this, 'AlarmTopic', { value: this.monitoring.topic.topicArn });
    if (models !== undefined) {
      new CfnOutput(this, 'TrainingExportPrefix', {
        value: models.bucket.s3UrlForObject('training/'),
        description: 'ballast-aurora export --etf/--anomaly destinations go under this prefix',
      });
      new CfnOutput(this, 'TrainingExportPolicy', {
        value: models.trainingExportPolicy.managedPolicyArn,
        description: 'Attach to the role that runs ballast-aurora export (S3 under training/, Aurora IAM auth)',
      });
    }

    suppressFindings(this);
  }

  /** A log group under /aws/vendedlogs/ (Step Functions' resource policy stays small). */
  private vendedLogGroup(id: string, name: string): logs.LogGroup {
    return new logs.LogGroup(this, id, {
      logGroupName: `/aws/vendedlogs/states/${name}`,
      retention: this.settings.logRetentionDays as logs.RetentionDays,
      encryptionKey: this.data.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}

function camel(name: string): string {
  return name
    .split('-')
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');
}
