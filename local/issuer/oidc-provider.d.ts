/**
 * The subset of oidc-provider v9's API the local issuer uses. The package ships no type declarations;
 * these follow its documentation (https://github.com/panva/node-oidc-provider/blob/main/docs/README.md).
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type UnknownObject = Record<string, unknown>;

  export interface OidcParams {
    readonly [key: string]: unknown;
  }

  export interface ClientLike {
    readonly clientId: string;
    readonly clientAuthMethod: string;
    grantTypeAllowed(type: string): boolean;
  }

  export interface OidcContext {
    readonly params?: OidcParams;
    readonly client?: ClientLike;
    readonly session?: { accountId?: string; grantIdFor(clientId: string): string | undefined };
    readonly requestParamScopes: Set<string>;
    readonly requestParamOIDCScopes: Set<string>;
    readonly resourceServers: Record<string, unknown>;
    readonly result?: { consent?: { grantId?: string } };
    readonly route: string;
    readonly provider: Provider;
    readonly issuer: string;
    entity(key: string, value: unknown): void;
  }

  export interface KoaContextWithOIDC {
    oidc: OidcContext;
    body: unknown;
    status: number;
    req: IncomingMessage;
    res: ServerResponse;
  }

  /** Any token model instance handed to the hooks (AccessToken, ClientCredentials, ...). */
  export interface TokenLike {
    readonly kind: string;
    readonly jti: string;
    readonly accountId?: string;
    readonly clientId: string;
    readonly grantId?: string;
    readonly sid?: string;
    readonly gty?: string;
    scope?: string;
    expiration: number;
    resourceServer?: ResourceServer;
    save(): Promise<string>;
  }

  export interface ResourceServerInfo {
    scope: string;
    audience?: string;
    accessTokenTTL?: number;
    accessTokenFormat?: 'opaque' | 'jwt';
    jwt?: { sign?: { alg?: string; kid?: string } };
  }

  export class ResourceServer {
    constructor(identifier: string, data: ResourceServerInfo);
    readonly audience?: string;
    readonly scope: string;
    identifier(): string;
  }

  export interface Account {
    accountId: string;
    claims(
      use: string,
      scope: string,
      claims: unknown,
      rejected: string[],
    ): Promise<UnknownObject> | UnknownObject;
  }

  export class Grant {
    constructor(props: { accountId: string; clientId: string });
    static find(id: string): Promise<Grant | undefined>;
    readonly jti: string;
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    getOIDCScope(): string;
    save(ttl?: number): Promise<string>;
  }

  export interface TokenModelConstructor<T> {
    new (props: UnknownObject): T;
    find(value: string, options?: UnknownObject): Promise<T | undefined>;
  }

  export interface IdTokenInstance {
    scope?: string;
    set(key: string, value: unknown): void;
    issue(options: { use: 'idtoken' }): Promise<string>;
  }

  export interface InteractionDetails {
    readonly uid: string;
    readonly prompt: { name: string; reasons: string[]; details: UnknownObject };
    readonly params: UnknownObject;
    readonly session?: { accountId?: string };
    readonly grantId?: string;
  }

  export type GrantHandler = (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>;

  export class Provider {
    constructor(issuer: string, configuration: UnknownObject);
    readonly issuer: string;
    proxy: boolean;
    readonly Grant: typeof Grant;
    readonly ResourceServer: typeof ResourceServer;
    readonly AccessToken: TokenModelConstructor<TokenLike>;
    readonly RefreshToken: TokenModelConstructor<TokenLike>;
    readonly IdToken: new (claims: UnknownObject, options: { ctx: KoaContextWithOIDC }) => IdTokenInstance;
    readonly Client: { find(id: string): Promise<ClientLike | undefined> };
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    registerGrantType(name: string, handler: GrantHandler, params?: Set<string> | string[]): void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: UnknownObject): Promise<void>;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export const errors: {
    InvalidGrant: new (description?: string) => Error;
    InvalidRequest: new (description?: string) => Error;
    InvalidScope: new (description?: string, scope?: string) => Error;
    InvalidTarget: new (description?: string) => Error;
    UnauthorizedClient: new (description?: string) => Error;
  };

  export default Provider;
}
