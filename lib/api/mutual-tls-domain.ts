/**
 * A regional custom domain with mutual TLS for a Secured REST or HTTP API, the transport certificate-bound
 * tokens need (docs/token-binding.md): API Gateway checks each client certificate against the truststore
 * (a PEM bundle of CA certificates in S3) and hands it to the authorizer, which compares it with the
 * token's `cnf["x5t#S256"]`.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mutual-tls.html
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-mutual-tls.html
 * Disable the API's default execute-api endpoint so clients cannot go around the domain.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { KeygateValidationError } from '../internal/validation-error';

/** Properties of a mutual-TLS custom domain. */
export interface MutualTlsDomainProps {
  /** The domain name clients call, e.g. `api.example.com`. */
  readonly domainName: string;
  /** An ACM certificate for the domain name, in the API's Region. */
  readonly certificate: ICertificate;
  /**
   * A local PEM file of the CA certificates client certificates must chain to, uploaded with the stack
   * as a file asset (to the CDK bootstrap bucket of the stack's environment, under a key made of its
   * content hash: a changed truststore is a new object, and the domain is updated to it). Give this or
   * `truststoreBucket` with `truststoreKey`.
   * @default - the object `truststoreKey` in `truststoreBucket`
   */
  readonly truststoreFile?: string;
  /**
   * The bucket holding the truststore (PEM CA certificates), uploaded by you.
   * @default - none: `truststoreFile` is uploaded
   */
  readonly truststoreBucket?: IBucket;
  /**
   * The truststore's object key in `truststoreBucket`, e.g. `truststore.pem`.
   * @default - none: `truststoreFile` is uploaded
   */
  readonly truststoreKey?: string;
  /**
   * The truststore object's version (the bucket must be versioned); with `truststoreBucket` only.
   * @default - the latest version
   */
  readonly truststoreVersion?: string;
}

/** Where the truststore is, as the domain's `mtls` property takes it. */
interface TruststoreLocation {
  readonly bucket: IBucket;
  readonly key: string;
  readonly version?: string;
}

/**
 * One mutual-TLS custom domain: call `restDomainName()` for a REST API or `httpDomainName()` for an HTTP
 * API (one of the two: API Gateway has one custom domain per name), or map an API at once with
 * `mapRestApi` / `mapHttpApi`, which create the domain.
 */
export class MutualTlsDomain extends Construct {
  private readonly props: MutualTlsDomainProps;
  private readonly truststore: TruststoreLocation;
  private rest?: apigw.DomainName;
  private http?: apigwv2.DomainName;

  constructor(scope: Construct, id: string, props: MutualTlsDomainProps) {
    super(scope, id);
    this.props = props;
    this.truststore = this.locateTruststore(props);
  }

  /** The REST API custom domain (regional, TLS 1.2, mutual TLS), created on first call. */
  public restDomainName(): apigw.DomainName {
    if (this.http)
      throw new KeygateValidationError(
        this,
        'restDomainName',
        'MutualTlsDomain: the domain is already an HTTP API domain (httpDomainName)',
      );
    this.rest ??= new apigw.DomainName(this, 'RestDomain', {
      domainName: this.props.domainName,
      certificate: this.props.certificate,
      endpointType: apigw.EndpointType.REGIONAL,
      securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      mtls: this.truststore,
    });
    return this.rest;
  }

  /** The HTTP API custom domain (regional, TLS 1.2, mutual TLS), created on first call. */
  public httpDomainName(): apigwv2.DomainName {
    if (this.rest)
      throw new KeygateValidationError(
        this,
        'httpDomainName',
        'MutualTlsDomain: the domain is already a REST API domain (restDomainName)',
      );
    this.http ??= new apigwv2.DomainName(this, 'HttpDomain', {
      domainName: this.props.domainName,
      certificate: this.props.certificate,
      securityPolicy: apigwv2.SecurityPolicy.TLS_1_2,
      mtls: this.truststore,
    });
    return this.http;
  }

  /**
   * Maps a REST API stage under `basePath` of the domain (a base path mapping,
   * https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mappings.html) and returns the
   * URL clients call: `https://<domain>[/<basePath>]`, the `publicBaseUrl` of DPoP-bound routes behind
   * this domain.
   * @param basePath @default - the root of the domain
   */
  public mapRestApi(api: apigw.IRestApi, stage: apigw.Stage, basePath?: string): string {
    const key = this.checkBasePath(basePath);
    new apigw.BasePathMapping(this, `Map${this.node.children.length}`, {
      domainName: this.restDomainName(),
      restApi: api,
      stage,
      ...(key !== undefined ? { basePath: key } : {}),
    });
    return this.url(key);
  }

  /**
   * Maps an HTTP API stage under `mappingKey` of the domain (an API mapping,
   * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-mappings.html) and returns the
   * URL clients call, as `mapRestApi` does.
   * @param stage @default - the API's default stage
   * @param mappingKey @default - the root of the domain
   */
  public mapHttpApi(api: apigwv2.IHttpApi, stage?: apigwv2.IStage, mappingKey?: string): string {
    const key = this.checkBasePath(mappingKey);
    new apigwv2.ApiMapping(this, `Map${this.node.children.length}`, {
      domainName: this.httpDomainName(),
      api,
      ...(stage ? { stage } : {}),
      ...(key !== undefined ? { apiMappingKey: key } : {}),
    });
    return this.url(key);
  }

  private url(basePath: string | undefined): string {
    return `https://${this.props.domainName}${basePath ? `/${basePath}` : ''}`;
  }

  /**
   * A base path is one or more path segments without a leading or trailing slash (API Gateway's
   * mapping keys: letters, digits and `$-_.+!*'()`, with `/` between segments for REST).
   */
  private checkBasePath(basePath: string | undefined): string | undefined {
    if (basePath === undefined || basePath === '') return undefined;
    if (!/^[A-Za-z0-9$\-_.+!*'()]+(\/[A-Za-z0-9$\-_.+!*'()]+)*$/.test(basePath)) {
      throw new KeygateValidationError(
        this,
        'basePath',
        `MutualTlsDomain: the base path must be path segments without a leading or trailing /, got '${basePath}'`,
      );
    }
    return basePath;
  }

  private locateTruststore(props: MutualTlsDomainProps): TruststoreLocation {
    const inBucket = props.truststoreBucket !== undefined || props.truststoreKey !== undefined;
    if (props.truststoreFile !== undefined) {
      if (inBucket || props.truststoreVersion !== undefined) {
        throw new KeygateValidationError(
          this,
          'truststoreFile',
          'MutualTlsDomain: give truststoreFile or truststoreBucket with truststoreKey, not both',
        );
      }
      checkTruststoreFile(this, props.truststoreFile);
      // A file asset goes to the bootstrap bucket of the stack's own account and Region, where API
      // Gateway requires the truststore to be (same Region as the domain).
      const asset = new Asset(this, 'Truststore', { path: props.truststoreFile });
      return { bucket: asset.bucket, key: asset.s3ObjectKey };
    }
    if (props.truststoreBucket === undefined || props.truststoreKey === undefined) {
      throw new KeygateValidationError(
        this,
        'truststoreBucket',
        'MutualTlsDomain: give truststoreFile, or truststoreBucket with truststoreKey',
      );
    }
    if (props.truststoreKey.length === 0 || props.truststoreKey.startsWith('/')) {
      throw new KeygateValidationError(
        this,
        'truststoreKey',
        `MutualTlsDomain: truststoreKey must be an S3 object key (no leading /), got '${props.truststoreKey}'`,
      );
    }
    return {
      bucket: props.truststoreBucket,
      key: props.truststoreKey,
      ...(props.truststoreVersion !== undefined ? { version: props.truststoreVersion } : {}),
    };
  }
}

/**
 * The largest truststore API Gateway takes (1 MB; at most 1,000 certificates):
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
 */
const MAX_TRUSTSTORE_BYTES = 1_048_576;

/**
 * A truststore file is a PEM bundle of one or more X.509 certificates and nothing else: what API Gateway
 * accepts (https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mutual-tls.html), checked
 * at synth rather than at the domain's creation.
 */
function checkTruststoreFile(scope: Construct, file: string): void {
  const fail = (why: string) =>
    new KeygateValidationError(scope, 'truststoreFile', `MutualTlsDomain: truststoreFile '${file}' ${why}`);
  let text: string;
  try {
    if (fs.statSync(file).size > MAX_TRUSTSTORE_BYTES) throw fail('is larger than 1 MB');
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (KeygateValidationError.is(e)) throw e;
    throw fail('cannot be read');
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw fail('holds no PEM certificate');
  blocks.forEach((pem, i) => {
    try {
      new X509Certificate(pem);
    } catch {
      throw fail(`certificate ${i + 1} is not a valid X.509 certificate`);
    }
  });
}
