export { BrowserSignIn, SIGN_IN_PATHS } from './browser-sign-in';
export type { BrowserSignInProps, BrowserSessionSettings } from './browser-sign-in';
