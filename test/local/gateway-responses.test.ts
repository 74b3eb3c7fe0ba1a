import { describe, expect, it } from 'vitest';
import { readGatewayResponses, renderGatewayResponse } from '../../local/assembly/gateway-responses';
import { STEP_UP_CONTEXT_KEY } from '../../common/step-up';

// A REST API's ACCESS_DENIED gateway response as SecuredRestApi writes it with a step-up route: a static
// header, the challenge mapped from the authorizer's context, a JSON template.
const resources = {
  Api: { Type: 'AWS::ApiGateway::RestApi', Properties: {} },
  Denied: {
    Type: 'AWS::ApiGateway::GatewayResponse',
    Properties: {
      RestApiId: { Ref: 'Api' },
      ResponseType: 'ACCESS_DENIED',
      ResponseParameters: {
        'gatewayresponse.header.Vary': "'Origin'",
        'gatewayresponse.header.WWW-Authenticate': `context.authorizer.${STEP_UP_CONTEXT_KEY}`,
        'gatewayresponse.header.X-From-Request': 'method.request.header.x-other',
      },
      ResponseTemplates: { 'application/json': '{"error":"forbidden","id":"$context.requestId"}' },
    },
  },
};

describe('gateway responses read from the template', () => {
  const responses = readGatewayResponses(resources, 'Api');
  const challenge = 'Bearer error="insufficient_user_authentication", acr_values="2"';

  it('keeps static headers and headers mapped from the authorizer context, not other mappings', () => {
    expect(responses.ACCESS_DENIED).toEqual({
      headers: { vary: 'Origin' },
      contextHeaders: { 'www-authenticate': STEP_UP_CONTEXT_KEY },
      templates: { 'application/json': '{"error":"forbidden","id":"$context.requestId"}' },
    });
  });

  it.each([
    ['the challenge the gateway kept apart', { challenge }, challenge],
    ['the context value', { context: { [STEP_UP_CONTEXT_KEY]: challenge } }, challenge],
    ['nothing without a challenge', {}, undefined],
  ])('sends WWW-Authenticate from %s', (_name, extra, expected) => {
    const rendered = renderGatewayResponse(responses, {
      status: 403,
      message: 'Forbidden',
      reason: 'policy_deny',
      requestId: 'r-1',
      ...extra,
    });
    expect(rendered?.status).toBe(403);
    expect(rendered?.body).toBe('{"error":"forbidden","id":"r-1"}');
    expect(rendered?.headers['www-authenticate']).toBe(expected);
    expect(rendered?.headers.vary).toBe('Origin');
  });
});
