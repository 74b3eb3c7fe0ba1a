/**
 * Bodies of REST gateway responses that the construct (SecuredRestApi) deploys and the local gateway
 * renders, kept in one place so the two cannot drift apart.
 */

/**
 * The `text/html` body of the ACCESS_DENIED gateway response, for browsers. API Gateway picks a gateway
 * response's template by the request's Accept media type, as it does for integration responses (default
 * `application/json`): https://docs.aws.amazon.com/apigateway/latest/developerguide/models-mappings.html,
 * quoted in https://github.com/serverless/serverless/issues/2046. Gateway response templates are plain
 * `$variable` substitution, not VTL, so there is no `#if`
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-gateway-responses.responseTemplates.html),
 * and the status is fixed per response type
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html):
 * a 302 with `Location` would turn every ACCESS_DENIED into a redirect, including signed-in people who lack a
 * role. So this page is one template for both cases and the browser branches on whether
 * `$context.authorizer.signIn` (set only on a browser route without a session) is empty: the CSS attribute
 * selectors show either the sign-in link or "Forbidden", and the script follows a non-empty link. A meta
 * refresh cannot be used: with an empty URL it reloads the page itself, forever. The authorizer only emits a
 * sign-in URL made of URL-safe characters (no `"`, `<`, `>`, `&`), so substituting it into the attribute
 * unescaped cannot break out of it (no escaping function runs in a gateway response template, and
 * `$util.escapeJavaScript` would not be an HTML escaper).
 */
export const ACCESS_DENIED_HTML =
  '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">' +
  '<title>Sign-in required</title><style>#signin[href=""],#signin[href=""]+#wait{display:none}' +
  '#signin:not([href=""])~#forbidden{display:none}</style></head><body>' +
  '<a id="signin" href="$context.authorizer.signIn">Sign in to continue</a><p id="wait">Redirecting to sign-in...</p>' +
  '<h1 id="forbidden">Forbidden</h1><p>Request id: $context.requestId</p>' +
  '<script>var l=document.getElementById("signin"),u=l&&l.getAttribute("href");if(u)location.replace(u);</script>' +
  '</body></html>';
