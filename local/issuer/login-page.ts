/**
 * The sign-in step of the authorization-code flow: a plain HTML form (username, password) that a person
 * or a test can submit. On success the interaction finishes with the user's id; consent is implied for the
 * realm's own clients, as in Keycloak.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { LocalRealm } from './realm-model';

const MAX_FORM_BYTES = 8 * 1024;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(action: string, realm: string, message?: string): string {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign in to ${escapeHtml(realm)}</title></head>
<body>
<h1>Sign in to ${escapeHtml(realm)}</h1>
${message ? `<p id="input-error">${escapeHtml(message)}</p>` : ''}
<form id="kc-form-login" method="post" action="${escapeHtml(action)}">
<label>Username <input id="username" name="username" autocomplete="username"></label>
<label>Password <input id="password" name="password" type="password" autocomplete="current-password"></label>
<button id="kc-login" type="submit">Sign In</button>
</form>
</body></html>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * `form-action` covers the whole redirect chain a form submission starts (CSP Level 3, form-action; Chromium
 * blocks the submission when a redirect leaves the list), and a successful sign-in redirects on to the
 * client's redirect_uri: its origin must be listed beside 'self', or a browser never reaches the client.
 */
function sendHtml(res: ServerResponse, status: number, html: string, redirectUri?: unknown): void {
  let target = '';
  try {
    if (typeof redirectUri === 'string') target = ` ${new URL(redirectUri).origin}`;
  } catch {
    // not a URL: oidc-provider validated it against the client; nothing to add
  }
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': `default-src 'none'; form-action 'self'${target}`,
  });
  res.end(html);
}

export async function loginPage(
  provider: Provider,
  realm: LocalRealm,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
  sameSecret: (a: string, b: string) => boolean,
): Promise<void> {
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) {
      sendHtml(res, 400, page(req.url ?? '', realm.name, 'This sign-in request has expired. Start again.'));
      return;
    }
    const action = req.url ?? '';
    const redirectUri = details.params.redirect_uri;
    if (req.method === 'GET') {
      sendHtml(res, 200, page(action, realm.name), redirectUri);
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'GET, POST' }).end();
      return;
    }
    const form = await readForm(req);
    const username = (form?.get('username') ?? '').toLowerCase();
    const user = realm.users.get(username);
    const password = form?.get('password') ?? '';
    const ok = user?.password !== undefined && sameSecret(password, user.password);
    if (!user || !ok) {
      sendHtml(res, 200, page(action, realm.name, 'Invalid username or password.'), redirectUri);
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: user.id } });
  } catch {
    if (!res.headersSent)
      sendHtml(res, 400, page('', realm.name, 'This sign-in request is not valid. Start again.'));
  }
}
