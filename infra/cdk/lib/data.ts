import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Settings } from './settings';

/** Receives before a message goes to its dead-letter queue. */
export const MAX_RECEIVES = 5;

/**
 * The platform's state and messages: the KMS key, the write and read tables
 * (docs/DATA-MODEL.md), the market-center order queues, and the execution-report topic
 * with its subscriber queues.
 */
export class Data extends Construct {
  readonly key: kms.Key;
  readonly table: dynamodb.TableV2;
  readonly views: dynamodb.TableV2;
  /** Market center → its FIFO order queue. */
  readonly orderQueues = new Map<string, sqs.Queue>();
  /** Market centers publish execution reports here (raw messages, fanned out). */
  readonly reportTopic: sns.Topic;
  /** Reports for the projector (execution-reports function). */
  readonly reportQueue: sqs.Queue;
  /** Reports for the anomaly detector (anomaly-inference), with the models only. */
  readonly telemetryQueue?: sqs.Queue;
  /** Every dead-letter queue, named by what it catches. */
  readonly deadLetterQueues = new Map<string, sqs.Queue>();
  /** Queues whose oldest message's age is watched. */
  readonly workQueues = new Map<string, sqs.Queue>();

  constructor(scope: Construct, id: string, settings: Settings) {
    super(scope, id);
    const stack = Stack.of(this);
    const removal = settings.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.key = new kms.Key(this, 'Key', {
      alias: `alias/${settings.prefix}`,
      description: 'Ballast: queues, topics, logs, buckets and the database',
      enableKeyRotation: true,
      removalPolicy: removal,
    });
    // CloudWatch Logs encrypts the log groups with the key (only log groups of this account).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:*` },
        },
      }),
    );

    const replicas = settings.replicaRegions.map((region) => ({ region }));
    const tableProps = {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: settings.retainData,
      removalPolicy: removal,
      replicas: replicas.length > 0 ? replicas : undefined,
    };
    this.table = new dynamodb.TableV2(this, 'Table', {
      ...tableProps,
      tableName: settings.prefix,
      timeToLiveAttribute: 'expires_at',
      globalSecondaryIndexes: [
        {
          indexName: 'by_job',
          partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
          sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
          projectionType: dynamodb.ProjectionType.ALL,
        },
        {
          indexName: 'by_household',
          partitionKey: { name: 'household', type: dynamodb.AttributeType.STRING },
          sortKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
          projectionType: dynamodb.ProjectionType.KEYS_ONLY,
        },
        {
          // Sparse: orders waiting for a halted market center (docs/DATA-MODEL.md).
          indexName: 'by_held',
          partitionKey: { name: 'held_for', type: dynamodb.AttributeType.STRING },
          sortKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
          projectionType: dynamodb.ProjectionType.ALL,
        },
        {
          indexName: 'by_model',
          partitionKey: { name: 'model', type: dynamodb.AttributeType.STRING },
          sortKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
          projectionType: dynamodb.ProjectionType.KEYS_ONLY,
        },
      ],
    });
    this.views = new dynamodb.TableV2(this, 'Views', { ...tableProps, tableName: `${settings.prefix}-views` });

    const queue = (name: string, fifo: boolean, dlq: sqs.IQueue | undefined, visibility: Duration): sqs.Queue =>
      new sqs.Queue(this, name.replace(/[^A-Za-z0-9]/g, ''), {
        queueName: `${settings.prefix}-${name}${fifo ? '.fifo' : ''}`,
        fifo: fifo || undefined,
        // Order ids are the deduplication ids; FIFO order is kept per account (group).
        contentBasedDeduplication: fifo ? false : undefined,
        deduplicationScope: fifo ? sqs.DeduplicationScope.MESSAGE_GROUP : undefined,
        fifoThroughputLimit: fifo ? sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID : undefined,
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: this.key,
        dataKeyReuse: Duration.minutes(15),
        enforceSSL: true,
        visibilityTimeout: visibility,
        retentionPeriod: dlq ? Duration.days(4) : Duration.days(14),
        deadLetterQueue: dlq ? { queue: dlq, maxReceiveCount: MAX_RECEIVES } : undefined,
        removalPolicy: RemovalPolicy.DESTROY,
      });
    const withDlq = (name: string, fifo: boolean, visibility: Duration): sqs.Queue => {
      const dlq = queue(`${name}-dlq`, fifo, undefined, Duration.seconds(30));
      this.deadLetterQueues.set(name, dlq);
      const q = queue(name, fifo, dlq, visibility);
      this.workQueues.set(name, q);
      return q;
    };

    // Order queues are read by each market center's connector, outside this stack.
    for (const mc of settings.marketCenters) {
      this.orderQueues.set(mc, withDlq(`orders-${mc}`, true, Duration.seconds(60)));
    }

    this.reportTopic = new sns.Topic(this, 'ExecutionReports', {
      topicName: `${settings.prefix}-execution-reports`,
      masterKey: this.key,
      enforceSSL: true,
    });
    // Lambda recommends a visibility timeout of six times the function timeout (30 s).
    this.reportQueue = withDlq('execution-reports', false, Duration.seconds(180));
    this.reportTopic.addSubscription(new subs.SqsSubscription(this.reportQueue, { rawMessageDelivery: true }));
    if (settings.modelImage !== undefined) {
      this.telemetryQueue = withDlq('execution-telemetry', false, Duration.seconds(360));
      this.reportTopic.addSubscription(new subs.SqsSubscription(this.telemetryQueue, { rawMessageDelivery: true }));
    }
  }
}
