import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { describe, expect, test } from 'vitest';
import { MutualTlsDomain } from '../../../lib/api/mutual-tls-domain';
import { testCa } from '../../support/test-pki';
import { newStack } from '../helpers';

const CERT_ARN = 'arn:aws:acm:eu-west-1:111122223333:certificate/11111111-2222-3333-4444-555555555555';

function tempFile(name: string, text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-mtls-')), name);
  fs.writeFileSync(file, text);
  return file;
}

function fileDomain(stack: Stack, file: string): MutualTlsDomain {
  return new MutualTlsDomain(stack, 'Mtls', {
    domainName: 'api.example.com',
    certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN),
    truststoreFile: file,
  });
}

function mockRestApi(stack: Stack): apigw.RestApi {
  const api = new apigw.RestApi(stack, 'Api', { deployOptions: { stageName: 'v1' } });
  api.root.addMethod('GET', new apigw.MockIntegration());
  return api;
}

function setup(version?: string) {
  const { stack } = newStack();
  const domain = new MutualTlsDomain(stack, 'Mtls', {
    domainName: 'api.example.com',
    certificate: acm.Certificate.fromCertificateArn(
      stack,
      'Cert',
      'arn:aws:acm:eu-west-1:111122223333:certificate/11111111-2222-3333-4444-555555555555',
    ),
    truststoreBucket: s3.Bucket.fromBucketName(stack, 'Trust', 'keygate-truststore'),
    truststoreKey: 'truststore.pem',
    ...(version ? { truststoreVersion: version } : {}),
  });
  return { stack, domain };
}

describe('MutualTlsDomain', () => {
  test('REST: a regional TLS 1.2 domain with the truststore', () => {
    const { stack, domain } = setup();
    domain.restDomainName();
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'api.example.com',
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'TLS_1_2',
      MutualTlsAuthentication: { TruststoreUri: 's3://keygate-truststore/truststore.pem' },
    });
  });

  test('HTTP: a TLS 1.2 domain with the truststore and its version', () => {
    const { stack, domain } = setup('v7');
    domain.httpDomainName();
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'api.example.com',
      DomainNameConfigurations: [{ SecurityPolicy: 'TLS_1_2', EndpointType: 'REGIONAL' }],
      MutualTlsAuthentication: {
        TruststoreUri: 's3://keygate-truststore/truststore.pem',
        TruststoreVersion: 'v7',
      },
    });
  });

  test('one domain is either a REST or an HTTP domain', () => {
    const { domain } = setup();
    domain.restDomainName();
    expect(() => domain.httpDomainName()).toThrow(
      'MutualTlsDomain: the domain is already a REST API domain (restDomainName)',
    );
  });

  test('refuses a truststore key with a leading slash', () => {
    const { stack } = newStack();
    expect(
      () =>
        new MutualTlsDomain(stack, 'Mtls', {
          domainName: 'api.example.com',
          certificate: acm.Certificate.fromCertificateArn(
            stack,
            'Cert',
            'arn:aws:acm:eu-west-1:111122223333:certificate/x',
          ),
          truststoreBucket: s3.Bucket.fromBucketName(stack, 'Trust', 'keygate-truststore'),
          truststoreKey: '/truststore.pem',
        }),
    ).toThrow(
      "MutualTlsDomain: truststoreKey must be an S3 object key (no leading /), got '/truststore.pem' (at Test/Mtls)",
    );
  });

  test('a truststore file is uploaded as an asset and named as the domain truststore', async () => {
    // GIVEN a PEM bundle of two CA certificates
    const { stack } = newStack();
    const pem = `${(await testCa('CA one')).cert}${(await testCa('CA two')).cert}`;
    // WHEN
    fileDomain(stack, tempFile('truststore.pem', pem)).restDomainName();
    // THEN the truststore URI is the asset's object in the bootstrap bucket
    const template = Template.fromStack(stack);
    const domain = Object.values(template.findResources('AWS::ApiGateway::DomainName'));
    expect(domain).toHaveLength(1);
    const uri = JSON.stringify(domain[0].Properties.MutualTlsAuthentication.TruststoreUri);
    expect(uri).toMatch(/cdk-hnb659fds-assets-111122223333-eu-west-1\/[0-9a-f]{64}\.pem/);
    expect(stack.node.findChild('Mtls').node.findChild('Truststore')).toBeInstanceOf(Asset);
  });

  test.each([
    ['no certificate', 'hello\n', 'holds no PEM certificate'],
    [
      'a broken certificate',
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      'certificate 1 is not a valid X.509 certificate',
    ],
  ])('refuses a truststore file with %s', (_name, text, why) => {
    const { stack } = newStack();
    const file = tempFile('bad.pem', text);
    expect(() => fileDomain(stack, file)).toThrow(
      `MutualTlsDomain: truststoreFile '${file}' ${why} (at Test/Mtls)`,
    );
  });

  test('refuses a missing truststore file, and a file together with a bucket', () => {
    const { stack } = newStack();
    expect(() => fileDomain(newStack().stack, '/nonexistent/truststore.pem')).toThrow(
      "MutualTlsDomain: truststoreFile '/nonexistent/truststore.pem' cannot be read (at Test/Mtls)",
    );
    expect(
      () =>
        new MutualTlsDomain(stack, 'Both', {
          domainName: 'api.example.com',
          certificate: acm.Certificate.fromCertificateArn(stack, 'Cert1', CERT_ARN),
          truststoreFile: '/nonexistent/truststore.pem',
          truststoreBucket: s3.Bucket.fromBucketName(stack, 'Trust', 'keygate-truststore'),
          truststoreKey: 'truststore.pem',
        }),
    ).toThrow(
      'MutualTlsDomain: give truststoreFile or truststoreBucket with truststoreKey, not both (at Test/Both)',
    );
    expect(
      () =>
        new MutualTlsDomain(stack, 'Neither', {
          domainName: 'api.example.com',
          certificate: acm.Certificate.fromCertificateArn(stack, 'Cert2', CERT_ARN),
        }),
    ).toThrow(
      'MutualTlsDomain: give truststoreFile, or truststoreBucket with truststoreKey (at Test/Neither)',
    );
  });

  test('REST: maps an API stage under a base path and returns the URL clients call', () => {
    // GIVEN
    const { stack, domain } = setup();
    const api = mockRestApi(stack);
    // WHEN
    const url = domain.mapRestApi(api, api.deploymentStage, 'models/v1');
    // THEN
    expect(url).toBe('https://api.example.com/models/v1');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ApiGateway::DomainName', 1);
    template.hasResourceProperties('AWS::ApiGateway::BasePathMapping', {
      DomainName: { Ref: Match.stringLikeRegexp('^MtlsRestDomain') },
      RestApiId: { Ref: Match.stringLikeRegexp('^Api') },
      Stage: { Ref: Match.stringLikeRegexp('^ApiDeploymentStagev1') },
      BasePath: 'models/v1',
    });
  });

  test('HTTP: maps the default stage at the root of the domain', () => {
    const { stack, domain } = setup();
    const api = new apigwv2.HttpApi(stack, 'Http');
    const url = domain.mapHttpApi(api);
    expect(url).toBe('https://api.example.com');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', {
      ApiId: { Ref: Match.stringLikeRegexp('^Http') },
      DomainName: { Ref: Match.stringLikeRegexp('^MtlsHttpDomain') },
      Stage: '$default',
      ApiMappingKey: Match.absent(),
    });
  });

  test.each(['/v1', 'v1/', 'a//b', 'v 1'])('refuses the base path %j', (basePath) => {
    const { stack, domain } = setup();
    const api = mockRestApi(stack);
    expect(() => domain.mapRestApi(api, api.deploymentStage, basePath)).toThrow(
      `MutualTlsDomain: the base path must be path segments without a leading or trailing /, got '${basePath}' (at Test/Mtls)`,
    );
  });
});
