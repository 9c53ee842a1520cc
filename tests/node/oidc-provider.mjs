// A real OpenID Connect provider on loopback for the gateway's single sign-on tests
// (tests/gateway/auth/test_sso_*.py): panva's oidc-provider, with its built-in login and
// consent forms (devInteractions: any login name is accepted).
//
// It listens on 127.0.0.1 on a free port and prints its issuer URL as the first line of
// stdout. The gateway's port is known only once the test has started it, so the client
// comes next: one JSON line on stdin
//   {"client_id", "client_secret", "redirect_uris", "post_logout_redirect_uris",
//    "auth_method", "id_token_ttl_s", "end_session"}
// after which the provider serves and prints "ready". It stops when stdin closes.
//
// Accounts are a small table: the ID token carries preferred_username, email and roles.

import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';

import Provider from 'oidc-provider';

const ACCOUNTS = {
  maria: { roles: ['editor', 'not-a-gateway-role'], email: 'maria@example.org' },
  olga: { roles: ['admin'], email: 'olga@example.org' },
  nobody: { roles: [], email: 'nobody@example.org' },
  // Typed in somebody else's address, which the provider never verified.
  mallory: { roles: [], email: 'olga@example.org', verified: false },
};

function account(id) {
  const known = ACCOUNTS[id] ?? { roles: [], email: `${id}@example.org` };
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        preferred_username: id,
        name: id,
        email: known.email,
        email_verified: known.verified ?? true,
        roles: known.roles,
      };
    },
  };
}

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' };
}

const server = createServer();
const lines = createInterface({ input: process.stdin });
const next = lines[Symbol.asyncIterator]();

server.listen(0, '127.0.0.1', async () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(`${issuer}\n`);
  const first = await next.next();
  if (first.done) {
    process.exit(0);
  }
  const options = JSON.parse(first.value);
  const method = options.auth_method ?? 'client_secret_basic';
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.client_id,
        client_secret: options.client_secret,
        redirect_uris: options.redirect_uris,
        post_logout_redirect_uris: options.post_logout_redirect_uris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: method,
      },
    ],
    // What the discovery document offers: the gateway picks its method from it.
    clientAuthMethods: [method],
    jwks: { keys: [signingKey()] },
    cookies: { keys: ['oidc-provider-test-cookie-key'] },
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username', 'roles'],
      email: ['email', 'email_verified'],
    },
    // The scopes' claims in the ID token itself, as Keycloak's mappers and Entra's roles.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: options.end_session !== false },
    },
    pkce: { required: () => true },
    ttl: { IdToken: options.id_token_ttl_s ?? 300 },
    findAccount: async (ctx, id) => account(id),
  });
  const serve = provider.callback();
  server.on('request', (req, res) => {
    // oidc-provider takes a client's secret either way; a stricter provider takes it only
    // the way its discovery document says, which shows the way the gateway sent it.
    if (method === 'client_secret_post' && req.url.startsWith('/token') && req.headers.authorization) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_client', error_description: 'secret not in the body' }));
      return;
    }
    serve(req, res);
  });
  process.stdout.write('ready\n');
  await next.next(); // until stdin closes
  server.close();
  process.exit(0);
});
