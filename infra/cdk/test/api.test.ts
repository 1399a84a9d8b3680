import * as fs from 'node:fs';
import * as path from 'node:path';
import { resources, synth } from './helpers';

describe('API', () => {
  const { json } = synth({}, { nag: false });
  const methods = resources(json, 'AWS::ApiGateway::Method');

  test('every route needs SigV4 (IAM) and goes to its function', () => {
    expect(methods.map(([, m]) => m.Properties.HttpMethod).sort()).toEqual(['DELETE', 'GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'PUT']);
    for (const [, m] of methods) {
      expect(m.Properties.AuthorizationType).toBe('AWS_IAM');
      expect(m.Properties.Integration.Type).toBe('AWS_PROXY');
    }
  });

  test('POST /rebalances validates its body against the request schema before batching runs', () => {
    const [, post] = methods.find(([, m]) => m.Properties.HttpMethod === 'POST' && m.Properties.OperationName === 'PostRebalance')!;
    const validator = json.Resources[post.Properties.RequestValidatorId.Ref].Properties;
    expect(validator).toMatchObject({ ValidateRequestBody: true, ValidateRequestParameters: true });
    const model = json.Resources[post.Properties.RequestModels['application/json'].Ref].Properties;
    expect(model.Schema.additionalProperties).toBe(false);
    expect(Object.keys(model.Schema.properties).sort()).toEqual(
      ['account_ids', 'band_target', 'batch_size', 'dry_run', 'household_ids', 'mode', 'model_ids', 'withdrawal'].sort(),
    );
    expect(model.Schema.properties.batch_size).toMatchObject({ minimum: 1, maximum: 500 });
    expect(model.Schema.properties.account_ids.maxItems).toBe(20000);
  });

  test('PUT /venues/{venue}/override lets through the bodies of the sample events the function accepts', () => {
    const [, put] = methods.find(([, m]) => m.Properties.OperationName === 'OverrideVenue')!;
    const schema = json.Resources[put.Properties.RequestModels['application/json'].Ref].Properties.Schema;
    expect(schema.additionalProperties).toBe(false);
    const dir = path.join(__dirname, '..', '..', '..', 'events', 'venues');
    const bodies = fs.readdirSync(dir).filter((f) => f.startsWith('put-override-') && !f.includes('invalid'))
      .map((f) => JSON.parse(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')).body));
    expect(bodies.some((b) => 'verdict' in b)).toBe(true);
    for (const body of bodies) {
      for (const [key, value] of Object.entries(body)) {
        expect(schema.properties).toHaveProperty(key);
        if (schema.properties[key].enum) expect(schema.properties[key].enum).toContain(value);
      }
    }
    expect(schema.required).not.toContain('verdict');
  });

  test('the gateway refuses in the API\'s own error shape: a code and a sentence', () => {
    const responses = Object.fromEntries(resources(json, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => [r.Properties.ResponseType, r.Properties]));
    const body = JSON.parse(responses.BAD_REQUEST_BODY.ResponseTemplates['application/json'].replace('$context.error.validationErrorString', 'x'));
    expect(body).toEqual({ code: 'INVALID_REQUEST', message: 'x' });
    expect(responses.THROTTLED.StatusCode).toBe('429');
    expect(JSON.parse(responses.MISSING_AUTHENTICATION_TOKEN.ResponseTemplates['application/json']).code).toBe('UNAUTHENTICATED');
  });

  test('the stage is throttled, traced, and writes JSON access logs to an encrypted group', () => {
    const [[, stage]] = resources(json, 'AWS::ApiGateway::Stage');
    expect(stage.Properties.TracingEnabled).toBe(true);
    expect(stage.Properties.MethodSettings[0]).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100, LoggingLevel: 'ERROR', DataTraceEnabled: false });
    const group = json.Resources[stage.Properties.AccessLogSetting.DestinationArn['Fn::GetAtt'][0]].Properties;
    expect(group.KmsKeyId).toBeDefined();
    expect(JSON.parse(stage.Properties.AccessLogSetting.Format)).toHaveProperty('requestId');
  });

  test('a WAF web ACL is associated when one is given', () => {
    const arn = 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/firm/abc';
    const { json: j } = synth({ 'ballast:webAclArn': arn }, { nag: false });
    const [[, assoc]] = resources(j, 'AWS::WAFv2::WebACLAssociation');
    expect(assoc.Properties.WebACLArn).toBe(arn);
  });
});
