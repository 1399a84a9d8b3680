import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { Settings } from './settings';

export interface ApiProps {
  readonly settings: Settings;
  readonly key: kms.IKey;
  readonly batching: lambda.IFunction;
  readonly query: lambda.IFunction;
  readonly venues: lambda.IFunction;
  readonly etfReview?: lambda.IFunction;
}

/** Ids: what the batching function accepts (shared/flow/src/request.rs). */
const ID_LIST: apigw.JsonSchema = {
  type: apigw.JsonSchemaType.ARRAY,
  maxItems: 20000,
  items: { type: apigw.JsonSchemaType.STRING, minLength: 1, maxLength: 64 },
};

/**
 * The REST API: `POST /rebalances`, `GET /rebalances/{id}`, `GET /rebalances/{id}/trades`
 * (and, with the models, the ETF review routes). Every method needs SigV4-signed requests
 * from an IAM principal (the advisor portal's backend or an operations role). Requests are
 * validated before a function runs, the stage is throttled, and every call is logged.
 */
export class Api extends Construct {
  readonly api: apigw.RestApi;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { settings } = props;
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: settings.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: `${settings.prefix}-api`,
      description: 'Ballast: rebalance requests and their status',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: settings.apiCloudWatchRole,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
      deployOptions: {
        stageName: 'v1',
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: settings.apiRateLimit,
        throttlingBurstLimit: settings.apiBurstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
      },
    });
    if (settings.webAclArn !== undefined) {
      new wafv2.CfnWebACLAssociation(this, 'WebAcl', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn: settings.webAclArn,
      });
    }
    // The gateway's own refusals answer in the functions' shape: {"code", "message"}.
    const refusal = (type: apigw.ResponseType, code: string, message: string, status?: string) =>
      this.api.addGatewayResponse(code, {
        type,
        statusCode: status,
        templates: { 'application/json': `{"code":"${code}","message":${message}}` },
      });
    refusal(apigw.ResponseType.BAD_REQUEST_BODY, 'INVALID_REQUEST', '"$context.error.validationErrorString"', '400');
    refusal(apigw.ResponseType.BAD_REQUEST_PARAMETERS, 'INVALID_PARAMETERS', '"$context.error.validationErrorString"', '400');
    refusal(apigw.ResponseType.ACCESS_DENIED, 'FORBIDDEN', '"the caller may not call this route"', '403');
    refusal(apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, 'UNAUTHENTICATED', '"sign the request with SigV4 (IAM)"', '403');
    refusal(apigw.ResponseType.THROTTLED, 'THROTTLED', '"too many requests; retry with back-off"', '429');
    refusal(apigw.ResponseType.REQUEST_TOO_LARGE, 'REQUEST_TOO_LARGE', '"the request is too large"', '413');

    const validateAll = new apigw.RequestValidator(this, 'ValidateAll', {
      restApi: this.api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const validateParams = new apigw.RequestValidator(this, 'ValidateParams', {
      restApi: this.api,
      validateRequestParameters: true,
    });
    const rebalanceBody = this.api.addModel('RebalanceRequest', {
      contentType: 'application/json',
      modelName: 'RebalanceRequest',
      schema: {
        schema: apigw.JsonSchemaVersion.DRAFT4,
        title: 'RebalanceRequest',
        type: apigw.JsonSchemaType.OBJECT,
        additionalProperties: false,
        properties: {
          account_ids: ID_LIST,
          household_ids: ID_LIST,
          model_ids: ID_LIST,
          mode: { type: apigw.JsonSchemaType.STRING, maxLength: 32 },
          band_target: { type: apigw.JsonSchemaType.STRING, maxLength: 16 },
          withdrawal: { type: [apigw.JsonSchemaType.NUMBER, apigw.JsonSchemaType.STRING] },
          dry_run: { type: apigw.JsonSchemaType.BOOLEAN },
          batch_size: { type: apigw.JsonSchemaType.INTEGER, minimum: 1, maximum: 500 },
        },
      },
    });

    const batching = new apigw.LambdaIntegration(props.batching);
    const query = new apigw.LambdaIntegration(props.query);
    const rebalances = this.api.root.addResource('rebalances');
    rebalances.addMethod('POST', batching, {
      operationName: 'PostRebalance',
      requestValidator: validateAll,
      requestModels: { 'application/json': rebalanceBody },
      requestParameters: { 'method.request.header.Idempotency-Key': false },
    });
    const job = rebalances.addResource('{id}');
    job.addMethod('GET', query, {
      operationName: 'GetRebalance',
      requestValidator: validateParams,
      requestParameters: { 'method.request.path.id': true },
    });
    job.addResource('trades').addMethod('GET', query, {
      operationName: 'GetRebalanceTrades',
      requestValidator: validateParams,
      requestParameters: {
        'method.request.path.id': true,
        'method.request.querystring.state': false,
        'method.request.querystring.account': false,
        'method.request.querystring.cursor': false,
        'method.request.querystring.limit': false,
      },
    });

    // Operations: market-center health and overrides (IAM decides who may call them).
    const venues = new apigw.LambdaIntegration(props.venues);
    const venuesRoot = this.api.root.addResource('venues');
    venuesRoot.addMethod('GET', venues, { operationName: 'ListVenues', requestValidator: validateParams });
    const override = venuesRoot.addResource('{venue}').addResource('override');
    const overrideBody = this.api.addModel('VenueOverride', {
      contentType: 'application/json',
      modelName: 'VenueOverride',
      schema: {
        schema: apigw.JsonSchemaVersion.DRAFT4,
        title: 'VenueOverride',
        type: apigw.JsonSchemaType.OBJECT,
        additionalProperties: false,
        required: ['status', 'by', 'reason'],
        properties: {
          status: { type: apigw.JsonSchemaType.STRING, enum: ['healthy', 'degraded', 'halted'] },
          by: { type: apigw.JsonSchemaType.STRING, minLength: 1, maxLength: 500 },
          reason: { type: apigw.JsonSchemaType.STRING, minLength: 1, maxLength: 500 },
          // What the override says of the anomaly detector (derived when absent).
          verdict: { type: apigw.JsonSchemaType.STRING, enum: ['true_positive', 'false_positive', 'false_negative', 'none'] },
        },
      },
    });
    const venueParam = { 'method.request.path.venue': true };
    override.addMethod('PUT', venues, {
      operationName: 'OverrideVenue',
      requestValidator: validateAll,
      requestModels: { 'application/json': overrideBody },
      requestParameters: venueParam,
    });
    override.addMethod('DELETE', venues, { operationName: 'LiftVenueOverride', requestValidator: validateParams, requestParameters: venueParam });

    if (props.etfReview !== undefined) {
      const review = new apigw.LambdaIntegration(props.etfReview);
      const reviews = this.api.root.addResource('etf-reviews');
      reviews.addMethod('GET', review, { operationName: 'ListEtfReviews', requestValidator: validateParams });
      reviews.addResource('{symbol}').addMethod('POST', review, {
        operationName: 'DecideEtfReview',
        requestValidator: validateParams,
        requestParameters: { 'method.request.path.symbol': true },
      });
    }
  }
}
