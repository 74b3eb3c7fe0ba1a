from aws_cdk import App, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk.aws_apigatewayv2 import HttpMethod
from constructs import Construct
from keygate_cdk import (
    KeygateAuthorizer,
    Requirement,
    RouteAuth,
    SecuredHttpApi,
    SecuredRestApi,
    SecuredRouteOptions,
    TrustedIssuer,
)


class OrdersStack(Stack):
    def __init__(self, scope: Construct, id: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)

        # Any backend function. It reads the caller from the authorizer context in the event (REST API:
        # requestContext.authorizer, HTTP API: requestContext.authorizer.lambda), never from request headers:
        # a REST API passes client-sent x-keygate-* headers through to the backend.
        orders = lambda_.Function(
            self,
            "Orders",
            runtime=lambda_.Runtime.NODEJS_22_X,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=lambda_.Code.from_inline(
                "exports.handler = async (event) => { const ctx = event.requestContext.authorizer; const caller = (ctx.lambda ?? ctx).sub; return { statusCode: 200, body: JSON.stringify({ caller }) }; };"
            ),
        )

        # Accept access tokens of one Keycloak realm, issued to the shop's web client.
        authorizer = KeygateAuthorizer(
            self,
            "Authorizer",
            issuers=[
                TrustedIssuer.keycloak_realm(
                    issuer_url="https://sso.example.com/realms/shop",
                    allowed_clients=["shop-web"],
                )
            ],
        )

        # Callers need the realm role orders-reader or the scope orders:read.
        read_orders = RouteAuth.keycloak(
            Requirement.any_of(realm_roles=["orders-reader"], scopes=["orders:read"])
        )

        SecuredHttpApi(
            self,
            "HttpApi",
            authorizer=authorizer,
            routes=[SecuredRouteOptions(method=HttpMethod.GET, path="/orders", backend=orders, auth=read_orders)],
        )
        SecuredRestApi(
            self,
            "RestApi",
            authorizer=authorizer,
            routes=[SecuredRouteOptions(method=HttpMethod.GET, path="/orders", backend=orders, auth=read_orders)],
        )


app = App()
OrdersStack(app, "Orders")
app.synth()
