import { Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, test } from 'vitest';
import { MutualTlsDomain } from '../../../lib/api/mutual-tls-domain';
import { newStack } from '../helpers';
import { expectValidationError } from '../validation';

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
    expectValidationError(
      () => domain.httpDomainName(),
      'restDomainName',
      'MutualTlsDomain: the domain is already a REST API domain (restDomainName)',
    );
  });

  test('refuses a truststore key with a leading slash', () => {
    const { stack } = newStack();
    expectValidationError(
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
      'truststoreKey',
      "MutualTlsDomain: truststoreKey must be an S3 object key (no leading /), got '/truststore.pem'",
    );
  });
});
