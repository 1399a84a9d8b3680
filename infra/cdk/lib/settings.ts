import { Node } from 'constructs';

/**
 * Everything a deployment may choose, read from CDK context (`cdk.json`, `-c key=value`,
 * or `new App({ context })` in the tests). Each key is documented in infra/cdk/README.md.
 */
export interface Settings {
  /** Prefix of every physical name (tables, queues, state machines, endpoints). */
  readonly prefix: string;
  /** Market centers: one FIFO order queue (and its DLQ) each. */
  readonly marketCenters: string[];
  /** The market center whose queue takes orders for a venue not in the list. */
  readonly defaultMarketCenter: string;
  /**
   * Where prebuilt Lambda artifacts are (`<dir>/<function>/bootstrap`, as `make build`
   * leaves them in target/lambda), or undefined to build with cargo-lambda while synthesizing.
   */
  readonly prebuiltDir?: string;
  /** Regions that hold a replica of both tables (DynamoDB global tables). Empty: none. */
  readonly replicaRegions: string[];
  /** Model container image (ECR URI). Given: SageMaker endpoints, the model functions,
   *  the ETF workflow and Aurora are deployed too. */
  readonly modelImage?: string;
  /** S3 URIs (model.tar.gz) of the trained artifacts, when `modelImage` is given. */
  readonly anomalyModelData?: string;
  readonly etfModelData?: string;
  /** SageMaker instance type behind each endpoint (data capture needs instance endpoints). */
  readonly endpointInstanceType: string;
  /** Percentage of endpoint requests captured to S3. */
  readonly dataCapturePercent: number;
  /** Bedrock model id for the reviewer's rationale. */
  readonly bedrockModelId: string;
  /** EventBridge Scheduler cron fields of the nightly ETF run, and its time zone. */
  readonly etfScheduleCron: string;
  readonly etfScheduleTimeZone: string;
  /** How long the ETF workflow waits for a human review before it times out. */
  readonly reviewTimeoutHours: number;
  /** Aurora Serverless v2 capacity range (ACUs). */
  readonly auroraMinCapacity: number;
  readonly auroraMaxCapacity: number;
  /** Reserve concurrency per function (off for accounts with a low concurrency quota). */
  readonly reservedConcurrency: boolean;
  /** API Gateway stage throttling. */
  readonly apiRateLimit: number;
  readonly apiBurstLimit: number;
  /** Create the account-wide API Gateway CloudWatch role (access logs need one per account). */
  readonly apiCloudWatchRole: boolean;
  /** Days CloudWatch keeps each log group. */
  readonly logRetentionDays: number;
  /** A WAFv2 web ACL (regional) to associate with the API stage. */
  readonly webAclArn?: string;
  /** E-mail subscribed to the alarm topic, if any. */
  readonly alarmEmail?: string;
  /** Keep the stateful resources (tables, buckets, key, database) when the stack is deleted. */
  readonly retainData: boolean;
}

/** The retention periods CloudWatch Logs accepts, in days. */
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export const DEFAULTS: Settings = {
  prefix: 'ballast',
  marketCenters: ['XNYS', 'XNAS', 'ARCX', 'BATS', 'FUNDSERV', 'TRACE', 'OTC'],
  defaultMarketCenter: 'XNYS',
  replicaRegions: [],
  endpointInstanceType: 'ml.m5.large',
  dataCapturePercent: 100,
  bedrockModelId: 'anthropic.claude-3-haiku-20240307-v1:0',
  etfScheduleCron: '0 2 ? * MON-FRI *',
  etfScheduleTimeZone: 'America/New_York',
  reviewTimeoutHours: 72,
  auroraMinCapacity: 0.5,
  auroraMaxCapacity: 4,
  reservedConcurrency: true,
  apiRateLimit: 50,
  apiBurstLimit: 100,
  apiCloudWatchRole: true,
  logRetentionDays: 90,
  retainData: true,
};

/** Settings from the context under `ballast:<name>`, falling back to [`DEFAULTS`]. */
export function settingsFrom(node: Node): Settings {
  const raw = (key: string): unknown => node.tryGetContext(`ballast:${key}`);
  const str = (key: string, fallback?: string): string | undefined => {
    const v = raw(key);
    if (v === undefined || v === null || v === '') return fallback;
    if (typeof v !== 'string') throw new Error(`context ballast:${key} must be a string, not ${JSON.stringify(v)}`);
    return v;
  };
  const num = (key: string, fallback: number, min: number, max: number): number => {
    const v = raw(key);
    if (v === undefined || v === null || v === '') return fallback;
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new Error(`context ballast:${key} must be a number in ${min}..${max}, not ${JSON.stringify(v)}`);
    }
    return n;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = raw(key);
    if (v === undefined || v === null || v === '') return fallback;
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    throw new Error(`context ballast:${key} must be true or false, not ${JSON.stringify(v)}`);
  };
  const list = (key: string, fallback: string[]): string[] => {
    const v = raw(key);
    if (v === undefined || v === null || v === '') return fallback;
    const items = Array.isArray(v) ? v : String(v).split(',');
    return items.map((s) => String(s).trim()).filter((s) => s.length > 0);
  };

  const prefix = str('prefix', DEFAULTS.prefix)!;
  if (!/^[a-z][a-z0-9-]{1,20}$/.test(prefix)) {
    throw new Error(`context ballast:prefix must be 2-21 characters of a-z, 0-9 and -, not ${JSON.stringify(prefix)}`);
  }
  const marketCenters = list('marketCenters', DEFAULTS.marketCenters);
  for (const m of marketCenters) {
    if (!/^[A-Z0-9]{2,12}$/.test(m)) throw new Error(`market center ${JSON.stringify(m)} must be 2-12 of A-Z and 0-9`);
  }
  const defaultMarketCenter = str('defaultMarketCenter', marketCenters[0])!;
  if (!marketCenters.includes(defaultMarketCenter)) {
    throw new Error(`ballast:defaultMarketCenter ${defaultMarketCenter} is not one of the market centers`);
  }
  const modelImage = str('modelImage');
  if (modelImage !== undefined && !/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[a-z0-9._\/-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/.test(modelImage)) {
    throw new Error(`context ballast:modelImage must be an ECR image URI (<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>), not ${modelImage}`);
  }
  const auroraMinCapacity = num('auroraMinCapacity', DEFAULTS.auroraMinCapacity, 0, 256);
  const auroraMaxCapacity = num('auroraMaxCapacity', DEFAULTS.auroraMaxCapacity, 1, 256);
  if (auroraMaxCapacity < auroraMinCapacity) throw new Error('ballast:auroraMaxCapacity is below ballast:auroraMinCapacity');
  const cron = str('etfScheduleCron', DEFAULTS.etfScheduleCron)!;
  if (cron.trim().split(/\s+/).length !== 6) {
    throw new Error(`ballast:etfScheduleCron must have six fields (minutes hours day-of-month month day-of-week year), not ${cron}`);
  }
  const logRetentionDays = num('logRetentionDays', DEFAULTS.logRetentionDays, 1, 3653);
  if (!RETENTION_DAYS.includes(logRetentionDays)) {
    throw new Error(`ballast:logRetentionDays must be one CloudWatch Logs accepts (${RETENTION_DAYS.join(', ')}), not ${logRetentionDays}`);
  }
  return {
    prefix,
    marketCenters,
    defaultMarketCenter,
    prebuiltDir: str('prebuilt'),
    replicaRegions: list('replicaRegions', DEFAULTS.replicaRegions),
    modelImage,
    anomalyModelData: str('anomalyModelData'),
    etfModelData: str('etfModelData'),
    endpointInstanceType: str('endpointInstanceType', DEFAULTS.endpointInstanceType)!,
    dataCapturePercent: num('dataCapturePercent', DEFAULTS.dataCapturePercent, 1, 100),
    bedrockModelId: str('bedrockModelId', DEFAULTS.bedrockModelId)!,
    etfScheduleCron: cron,
    etfScheduleTimeZone: str('etfScheduleTimeZone', DEFAULTS.etfScheduleTimeZone)!,
    reviewTimeoutHours: num('reviewTimeoutHours', DEFAULTS.reviewTimeoutHours, 1, 24 * 365),
    auroraMinCapacity,
    auroraMaxCapacity,
    reservedConcurrency: bool('reservedConcurrency', DEFAULTS.reservedConcurrency),
    apiRateLimit: num('apiRateLimit', DEFAULTS.apiRateLimit, 1, 10000),
    apiBurstLimit: num('apiBurstLimit', DEFAULTS.apiBurstLimit, 1, 5000),
    apiCloudWatchRole: bool('apiCloudWatchRole', DEFAULTS.apiCloudWatchRole),
    logRetentionDays,
    webAclArn: str('webAclArn'),
    alarmEmail: str('alarmEmail'),
    retainData: bool('retainData', DEFAULTS.retainData),
  };
}
