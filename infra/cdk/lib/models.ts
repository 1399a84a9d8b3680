import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { Settings } from './settings';

/** The database user the functions connect as, with IAM authentication. */
export const DB_APP_USER = 'ballast_app';
export const DB_NAME = 'ballast';

/** One SageMaker endpoint serving one model of the sagemaker/ container. */
export interface Endpoint {
  readonly name: string;
  readonly arn: string;
}

/**
 * What the models need: a VPC with isolated subnets and only the endpoints the model
 * functions call, Aurora PostgreSQL Serverless v2 for the feedback write-back, a bucket for
 * artifacts, captured requests and training exports, and the two SageMaker endpoints.
 */
export class Models extends Construct {
  readonly vpc: ec2.Vpc;
  /** Security group of the functions that run in the VPC. */
  readonly functionSecurityGroup: ec2.SecurityGroup;
  readonly database: rds.DatabaseCluster;
  readonly bucket: s3.Bucket;
  /** For whoever runs `ballast-aurora export` to S3 (an operator's role, a CI job): write
   *  under training/ in the bucket, connect to Aurora as the functions' user. */
  readonly trainingExportPolicy: iam.ManagedPolicy;
  readonly anomalyEndpoint: Endpoint;
  readonly etfEndpoint: Endpoint;

  constructor(scope: Construct, id: string, settings: Settings, key: kms.IKey) {
    super(scope, id);
    const stack = Stack.of(this);
    const removal = settings.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const image = settings.modelImage!;

    // No NAT and no internet gateway: the functions and the database reach AWS services
    // only through the endpoints below.
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      flowLogs: {
        all: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(
            new logs.LogGroup(this, 'FlowLogs', {
              retention: settings.logRetentionDays as logs.RetentionDays,
              encryptionKey: key,
              removalPolicy: RemovalPolicy.DESTROY,
            }),
          ),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });
    this.functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSg', {
      vpc: this.vpc,
      description: 'Ballast model functions: out to the database and the VPC endpoints only',
      allowAllOutbound: false,
    });
    const endpointSg = new ec2.SecurityGroup(this, 'EndpointSg', {
      vpc: this.vpc,
      description: 'Interface VPC endpoints: HTTPS from the model functions',
      allowAllOutbound: false,
    });
    endpointSg.addIngressRule(this.functionSecurityGroup, ec2.Port.tcp(443), 'HTTPS from the model functions');
    // The VPC has no route out (no NAT, no internet gateway): HTTPS reaches only the
    // interface endpoints and, through the route tables, the gateway endpoints, whose
    // prefix lists a synthesis without an AWS account cannot look up.
    this.functionSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to the VPC endpoints (no other route exists)');
    this.vpc.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    // Interface endpoints: only the services the model functions call.
    const endpoints = new Map<string, ec2.InterfaceVpcEndpoint>();
    for (const [name, service] of [
      ['SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
      ['SageMakerRuntime', ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME],
      ['BedrockRuntime', ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME],
      ['StepFunctions', ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS],
      // Held orders released by anomaly-inference and venues go to the order queues.
      ['Sqs', ec2.InterfaceVpcEndpointAwsService.SQS],
      ['XRay', ec2.InterfaceVpcEndpointAwsService.XRAY],
    ] as const) {
      endpoints.set(name, this.vpc.addInterfaceEndpoint(name, { service, securityGroups: [endpointSg], privateDnsEnabled: true, open: false }));
    }

    const dbSg = new ec2.SecurityGroup(this, 'DatabaseSg', {
      vpc: this.vpc,
      description: 'Aurora: PostgreSQL from the model functions',
      allowAllOutbound: false,
    });
    const clusterIdentifier = `${settings.prefix}-feedback`;
    // The PostgreSQL log group, made here so it has a retention and the key without the
    // LogRetention custom resource RDS would otherwise add.
    const dbLogs = new logs.LogGroup(this, 'DatabaseLogs', {
      logGroupName: `/aws/rds/cluster/${clusterIdentifier}/postgresql`,
      retention: settings.logRetentionDays as logs.RetentionDays,
      encryptionKey: key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.database = new rds.DatabaseCluster(this, 'Database', {
      clusterIdentifier,
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_7 }),
      writer: rds.ClusterInstance.serverlessV2('writer', { publiclyAccessible: false }),
      readers: [rds.ClusterInstance.serverlessV2('reader', { scaleWithWriter: true, publiclyAccessible: false })],
      serverlessV2MinCapacity: settings.auroraMinCapacity,
      serverlessV2MaxCapacity: settings.auroraMaxCapacity,
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [dbSg],
      defaultDatabaseName: DB_NAME,
      credentials: rds.Credentials.fromGeneratedSecret('ballast_admin', { encryptionKey: key }),
      storageEncrypted: true,
      storageEncryptionKey: key,
      iamAuthentication: true,
      deletionProtection: settings.retainData,
      removalPolicy: settings.retainData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      backup: { retention: Duration.days(14), preferredWindow: '07:00-08:00' },
      cloudwatchLogsExports: ['postgresql'],
      monitoringInterval: Duration.seconds(60),
    });
    this.database.node.addDependency(dbLogs);
    this.database.connections.allowDefaultPortFrom(this.functionSecurityGroup, 'PostgreSQL from the model functions');
    this.functionSecurityGroup.addEgressRule(dbSg, ec2.Port.tcp(5432), 'PostgreSQL to Aurora');
    // The administrator's secret rotates every 30 days; the functions use IAM auth instead.
    // The rotation function runs in the isolated subnets and reaches Secrets Manager
    // through its endpoint.
    this.database.addRotationSingleUser({
      automaticallyAfter: Duration.days(30),
      endpoint: endpoints.get('SecretsManager'),
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    });

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: removal,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'models/',
      lifecycleRules: [{ prefix: 'data-capture/', expiration: Duration.days(90) }],
      removalPolicy: removal,
    });

    // `ballast-aurora export --etf s3://<bucket>/training/...`: the training files go under
    // training/ (encrypted with the key: PutObject needs a data key), read from Aurora with
    // IAM auth as the functions' user. The runner must reach the database (it has no route
    // from outside the VPC).
    this.trainingExportPolicy = new iam.ManagedPolicy(this, 'TrainingExportPolicy', {
      description: 'ballast-aurora export: training files under training/ in the models bucket; Aurora with IAM auth',
      statements: [
        new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects('training/*')] }),
        new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [key.keyArn] }),
        new iam.PolicyStatement({
          actions: ['rds-db:connect'],
          resources: [
            stack.formatArn({
              service: 'rds-db',
              resource: 'dbuser',
              resourceName: `${this.database.clusterResourceIdentifier}/${DB_APP_USER}`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
      ],
    });

    // SageMaker pulls the image and the artifacts; the container itself has no network.
    const role = new iam.Role(this, 'SageMakerRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: 'Ballast SageMaker endpoints: pull the model image and artifacts, write captured data and logs',
    });
    const repository = image.split('@')[0].split(':')[0];
    const [registry, ...repoPath] = repository.split('/');
    const [imageAccount, , , imageRegion] = registry.split('.');
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        resources: [`arn:${stack.partition}:ecr:${imageRegion}:${imageAccount}:repository/${repoPath.join('/')}`],
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:/aws/sagemaker/Endpoints/${settings.prefix}-*`],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/Endpoints', 'Ballast'] } },
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects('models/*')] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects('data-capture/*')] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [key.keyArn] }));

    const endpoint = (name: 'anomaly' | 'etf', modelData: string | undefined): Endpoint => {
      const model = new sagemaker.CfnModel(this, `${name}Model`, {
        executionRoleArn: role.roleArn,
        enableNetworkIsolation: true,
        primaryContainer: {
          image,
          modelDataUrl: modelData ?? this.bucket.s3UrlForObject(`models/${name}/model.tar.gz`),
          environment: { BALLAST_MODEL: name },
        },
      });
      model.node.addDependency(role);
      const config = new sagemaker.CfnEndpointConfig(this, `${name}EndpointConfig`, {
        kmsKeyId: key.keyArn,
        productionVariants: [
          {
            variantName: 'AllTraffic',
            modelName: model.attrModelName,
            initialInstanceCount: 1,
            instanceType: settings.endpointInstanceType,
            initialVariantWeight: 1,
          },
        ],
        dataCaptureConfig: {
          enableCapture: true,
          initialSamplingPercentage: settings.dataCapturePercent,
          destinationS3Uri: this.bucket.s3UrlForObject(`data-capture/${name}`),
          kmsKeyId: key.keyArn,
          captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
          captureContentTypeHeader: { jsonContentTypes: ['application/json'], csvContentTypes: ['text/csv'] },
        },
      });
      const endpointName = `${settings.prefix}-${name}`;
      const ep = new sagemaker.CfnEndpoint(this, `${name}Endpoint`, {
        endpointName,
        endpointConfigName: config.attrEndpointConfigName,
      });
      return {
        name: ep.attrEndpointName,
        arn: stack.formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: endpointName }),
      };
    };
    this.anomalyEndpoint = endpoint('anomaly', settings.anomalyModelData);
    this.etfEndpoint = endpoint('etf', settings.etfModelData);
  }
}
