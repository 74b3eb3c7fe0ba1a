/**
 * The browser sign-in routes, relative to the API root, and the methods each answers: declared once for the
 * construct that adds them to an API, the function that serves them, the local gateway and the stage
 * configuration's checks.
 *
 * Refresh and logout change state only on POST (behind the same-origin check of common/csrf.ts); their GET
 * shows a page whose button makes that POST, so a cross-site link cannot end or rotate a session.
 */
export const SIGN_IN_PATHS = {
  login: '/auth/login',
  callback: '/auth/callback',
  refresh: '/auth/refresh',
  logout: '/auth/logout',
} as const;

/** Every sign-in route lives under this prefix; a configured API route there would collide with them. */
export const SIGN_IN_PREFIX = '/auth';

export type SignInMethod = 'GET' | 'POST';

export const SIGN_IN_ROUTES: readonly { readonly path: string; readonly methods: readonly SignInMethod[] }[] =
  [
    { path: SIGN_IN_PATHS.login, methods: ['GET'] },
    { path: SIGN_IN_PATHS.callback, methods: ['GET'] },
    { path: SIGN_IN_PATHS.refresh, methods: ['GET', 'POST'] },
    { path: SIGN_IN_PATHS.logout, methods: ['GET', 'POST'] },
  ];
