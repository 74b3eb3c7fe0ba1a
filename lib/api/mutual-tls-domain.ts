/**
 * A regional custom domain with mutual TLS for a Secured REST or HTTP API, the transport certificate-bound
 * tokens need (docs/token-binding.md): API Gateway checks each client certificate against the truststore
 * (a PEM bundle of CA certificates in S3) and hands it to the authorizer, which compares it with the
 * token's `cnf["x5t#S256"]`.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mutual-tls.html
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-mutual-tls.html
 * Disable the API's default execute-api endpoint so clients cannot go around the domain.
 */
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { KeygateValidationError } from '../internal/validation-error';

/** Properties of a mutual-TLS custom domain. */
export interface MutualTlsDomainProps {
  /** The domain name clients call, e.g. `api.example.com`. */
  readonly domainName: string;
  /** An ACM certificate for the domain name, in the API's Region. */
  readonly certificate: ICertificate;
  /** The bucket holding the truststore (PEM CA certificates). */
  readonly truststoreBucket: IBucket;
  /** The truststore's object key, e.g. `truststore.pem`. */
  readonly truststoreKey: string;
  /**
   * The truststore object's version (the bucket must be versioned).
   * @default - the latest version
   */
  readonly truststoreVersion?: string;
}

/**
 * One mutual-TLS custom domain: call `restDomainName()` for a REST API or `httpDomainName()` for an HTTP
 * API (one of the two: API Gateway has one custom domain per name), then map the API to it.
 */
export class MutualTlsDomain extends Construct {
  private readonly props: MutualTlsDomainProps;
  private rest?: apigw.DomainName;
  private http?: apigwv2.DomainName;

  constructor(scope: Construct, id: string, props: MutualTlsDomainProps) {
    super(scope, id);
    if (props.truststoreKey.length === 0 || props.truststoreKey.startsWith('/')) {
      throw new KeygateValidationError(
        this,
        'truststoreKey',
        `MutualTlsDomain: truststoreKey must be an S3 object key (no leading /), got '${props.truststoreKey}'`,
      );
    }
    this.props = props;
  }

  /** The REST API custom domain (regional, TLS 1.2, mutual TLS), created on first call. */
  public restDomainName(): apigw.DomainName {
    if (this.http)
      throw new KeygateValidationError(
        this,
        'httpDomainName',
        'MutualTlsDomain: the domain is already an HTTP API domain (httpDomainName)',
      );
    this.rest ??= new apigw.DomainName(this, 'RestDomain', {
      domainName: this.props.domainName,
      certificate: this.props.certificate,
      endpointType: apigw.EndpointType.REGIONAL,
      securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      mtls: this.mtls(),
    });
    return this.rest;
  }

  /** The HTTP API custom domain (regional, TLS 1.2, mutual TLS), created on first call. */
  public httpDomainName(): apigwv2.DomainName {
    if (this.rest)
      throw new KeygateValidationError(
        this,
        'restDomainName',
        'MutualTlsDomain: the domain is already a REST API domain (restDomainName)',
      );
    this.http ??= new apigwv2.DomainName(this, 'HttpDomain', {
      domainName: this.props.domainName,
      certificate: this.props.certificate,
      securityPolicy: apigwv2.SecurityPolicy.TLS_1_2,
      mtls: this.mtls(),
    });
    return this.http;
  }

  private mtls() {
    return {
      bucket: this.props.truststoreBucket,
      key: this.props.truststoreKey,
      ...(this.props.truststoreVersion !== undefined ? { version: this.props.truststoreVersion } : {}),
    };
  }
}
