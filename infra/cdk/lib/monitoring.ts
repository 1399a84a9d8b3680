import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { Settings } from './settings';

/** The metric the anomaly-inference function emits (CloudWatch embedded metric format)
 *  each time it moves a market center to DEGRADED or HALTED. */
export const ANOMALY_NAMESPACE = 'Ballast';
export const ANOMALY_METRIC = 'MarketCenterAnomalies';

export interface MonitoringProps {
  readonly settings: Settings;
  readonly key: kms.IKey;
  readonly functions: Map<string, lambda.Function>;
  readonly deadLetterQueues: Map<string, sqs.IQueue>;
  readonly workQueues: Map<string, sqs.IQueue>;
  readonly stateMachines: Map<string, sfn.IStateMachine>;
  readonly api: apigw.RestApi;
  readonly anomalies: boolean;
}

/** Alarms into one encrypted SNS topic, and one dashboard of the whole platform. */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { settings } = props;
    this.topic = new sns.Topic(this, 'Alarms', {
      topicName: `${settings.prefix}-alarms`,
      masterKey: props.key,
      enforceSSL: true,
    });
    if (settings.alarmEmail !== undefined) this.topic.addSubscription(new subs.EmailSubscription(settings.alarmEmail));
    const action = new actions.SnsAction(this.topic);
    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const a = new cloudwatch.Alarm(this, name, {
        alarmName: `${settings.prefix}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      this.alarms.push(a);
      return a;
    };
    const five = Duration.minutes(5);

    for (const [name, fn] of props.functions) {
      alarm(`${name}-errors`, fn.metricErrors({ period: five, statistic: 'Sum' }), 1, `${name} raised errors`);
      alarm(`${name}-throttles`, fn.metricThrottles({ period: five, statistic: 'Sum' }), 1, `${name} was throttled`);
    }
    for (const [name, q] of props.deadLetterQueues) {
      alarm(
        `${name}-dlq-depth`,
        q.metricApproximateNumberOfMessagesVisible({ period: five, statistic: 'Maximum' }),
        1,
        `messages reached the dead-letter queue of ${name}: inspect them, fix the cause, redrive`,
      );
    }
    for (const [name, q] of props.workQueues) {
      alarm(
        `${name}-age`,
        q.metricApproximateAgeOfOldestMessage({ period: five, statistic: 'Maximum' }),
        300,
        `the oldest message in ${name} is more than 5 minutes old: its consumer is behind or down`,
      );
    }
    for (const [name, sm] of props.stateMachines) {
      alarm(`${name}-failed`, sm.metricFailed({ period: five, statistic: 'Sum' }), 1, `executions of ${name} failed`);
      alarm(`${name}-timed-out`, sm.metricTimedOut({ period: five, statistic: 'Sum' }), 1, `executions of ${name} timed out`);
    }
    alarm('api-5xx', props.api.metricServerError({ period: five, statistic: 'Sum' }), 1, 'the API answered 5xx');
    const anomalies = new cloudwatch.Metric({
      namespace: ANOMALY_NAMESPACE,
      metricName: ANOMALY_METRIC,
      period: five,
      statistic: 'Sum',
    });
    if (props.anomalies) {
      alarm('market-center-anomaly', anomalies, 1, 'the anomaly detector degraded or halted a market center');
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: `${settings.prefix}-platform` });
    const fns = [...props.functions.values()];
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests and errors',
        left: [props.api.metricCount({ period: five })],
        right: [props.api.metricClientError({ period: five }), props.api.metricServerError({ period: five })],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency (p50, p99)',
        left: [props.api.metricLatency({ period: five, statistic: 'p50' }), props.api.metricLatency({ period: five, statistic: 'p99' })],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Function errors', left: fns.map((f) => f.metricErrors({ period: five })), width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Function throttles', left: fns.map((f) => f.metricThrottles({ period: five })), width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Function duration (p99)', left: fns.map((f) => f.metricDuration({ period: five, statistic: 'p99' })), width: 8 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Executions',
        left: [...props.stateMachines.values()].flatMap((sm) => [sm.metricSucceeded({ period: five }), sm.metricFailed({ period: five })]),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Oldest message age (s)',
        left: [...props.workQueues.values()].map((q) => q.metricApproximateAgeOfOldestMessage({ period: five })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queue depth',
        left: [...props.deadLetterQueues.values()].map((q) => q.metricApproximateNumberOfMessagesVisible({ period: five })),
        width: 8,
      }),
    );
    if (props.anomalies) {
      this.dashboard.addWidgets(new cloudwatch.GraphWidget({ title: 'Market-center anomalies', left: [anomalies], width: 24 }));
    }
  }
}
