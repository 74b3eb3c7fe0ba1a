/**
 * Canonical request paths: the spellings Keygate decides, the ones it refuses, and the policy resources
 * that refuse them when API Gateway replays a cached policy. Plain data and pure functions, shared by the
 * route model (grantsFor), the authorizer and the tests.
 *
 * Why: Keygate routes a request on its percent-decoded segments, while an IAM policy is evaluated against
 * the request's ARN as a string, and API Gateway routes some spellings of a path to a route they do not
 * read as:
 * - REST APIs pass the path as sent, escapes kept (`event.path`, and the path of `methodArn`); HTTP APIs
 *   decode it before routing and pass it decoded (`rawPath`, payload 1.0 `path`). Live captures of REST,
 *   HTTP API and Function URL events are summed up in https://github.com/middleapi/standard-server/pull/93
 *   (from hotsock/voker#8); https://github.com/Worklytics/psoxy/pull/827 meets the same decoding on HTTP
 *   APIs. The payload pages describe `rawPath`, `routeArn` and `methodArn` without saying either way:
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html
 * - REST and HTTP APIs route `/hello/` to the route `/hello`
 *   (https://github.com/aws-powertools/powertools-lambda-python/issues/1552, and aws/chalice#65).
 * So `/admin/%72eports` or `/admin/reports/` may reach the literal route `/admin/reports` (a `%2F` another
 * route than the one Keygate matched) while the policy's literal resources, and the Deny that keeps another
 * route's wildcard Allow (`GET/admin/*`) off that route, do not match the ARN as written.
 *
 * Rather than guess the gateway's normalisation, Keygate refuses every spelling that could route
 * differently than it reads:
 * - an escaped printable ASCII character (`%20`–`%7F`, first hex digit 2 to 7): that covers every
 *   character a literal segment may hold, `/`, `\`, `%` (double decoding) and `.`. The escapes left (UTF-8
 *   bytes of non-ASCII characters, `%80`–`%FF`; control characters, `%00`–`%1F`) decode to characters no
 *   literal segment holds and that split nothing, so they are only ever part of a parameter's value;
 * - a trailing `/` (other than the root path `/`) and an empty segment (`//`);
 * - a dot segment (`.` or `..`), which a normalising proxy or gateway may resolve.
 *
 * Fail closed whatever API Gateway does: the authorizer refuses such a request when it is asked (reason
 * `path_not_canonical`, a 401, which API Gateway does not cache), and every cached policy that allows
 * anything also denies the same ARNs with the IAM globs below (IAM's `?` is exactly one character, `*`
 * any run, `/` included: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html),
 * so a policy cached for another request of the same caller cannot admit them either. The rule and the
 * globs define the same set of paths (test/common/canonical-path.test.ts checks both on the same cases).
 */

/** `%`, a first hex digit 2–7 (printable ASCII, `%20`–`%7F`), and one more character. */
const REFUSED_ESCAPE = /%[2-7]./s;
/** A trailing `/` after at least one segment, `//` anywhere, or a `.` / `..` segment. */
const REFUSED_SHAPE = /^\/.*\/$|\/\/|\/\.\.?(?:\/|$)/s;

/** Is the request path (as it appears in the method or route ARN) one Keygate decides? */
export function isCanonicalPath(path: string): boolean {
  return !REFUSED_ESCAPE.test(path) && !REFUSED_SHAPE.test(path);
}

/**
 * Policy resource suffixes (after `arn:…:<api>/<stage>/`) that match every ARN whose path is not
 * canonical. Method and path are one string there, and the method holds neither `/`, `%` nor `.`
 * (parse-event accepts only `[A-Z]` methods and plain characters in the prefix), so each glob constrains
 * the path alone: six for the escapes (`%2?` to `%7?`), one for a trailing `/` after a segment (it needs
 * two `/`, and the root path's ARN ends `GET/`, which holds one), one for an empty segment, four for a dot
 * segment in the middle or at the end.
 */
export const NON_CANONICAL_PATH_RESOURCES: readonly string[] = [
  ...['2', '3', '4', '5', '6', '7'].map((d) => `*%${d}?*`),
  '*/*/',
  '*//*',
  '*/./*',
  '*/../*',
  '*/.',
  '*/..',
];
