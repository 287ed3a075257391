// A real OpenID Connect provider (the `oidc-provider` package) for the end-to-end tests of authn's
// single sign-on. Started by tests/src/oidc_provider.rs; configured only by environment variables:
//
//   PORT                 the port to listen on (127.0.0.1)
//   ISSUER               the issuer URL (default http://127.0.0.1:PORT)
//   CLIENT_ID            the one registered client
//   CLIENT_SECRET        its secret
//   REDIRECT_URIS        comma-separated redirect URIs registered for the client
//   TOKEN_AUTH_METHOD    client_secret_basic (default) or client_secret_post
//   SERVE_OTHER_JWKS     when "1", the jwks_uri publishes a different key than the one that signs
//                        ID tokens: every ID token is signed by a key the provider does not publish
//
// The signing key is generated at each start, so a restart on the same port is a key rotation.
// Logins use oidc-provider's development interactions: any login name is accepted with any password,
// and the account's claims are derived from the name (see `claimsOf`).

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`provider.mjs: ${name} is required`);
    process.exit(2);
  }
  return value;
}

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };
}

function publicPart({ kty, n, e, kid, use, alg }) {
  return { kty, n, e, kid, use, alg };
}

// A login name `alice` is alice@example.com with a verified email; a name containing `@` is that
// address; `alt/jane@example.com` is another subject with the address after the `/`; a name starting
// with `unverified-` has `email_verified: false`.
function claimsOf(accountId) {
  const address = accountId.includes('/') ? accountId.slice(accountId.indexOf('/') + 1) : accountId;
  const email = address.includes('@') ? address : `${address}@example.com`;
  return {
    sub: accountId,
    email,
    email_verified: !accountId.startsWith('unverified-'),
    name: `Test User ${accountId}`,
    preferred_username: accountId.split('@')[0].replace('/', '-'),
  };
}

const port = Number(required('PORT'));
const issuer = process.env.ISSUER || `http://127.0.0.1:${port}`;
const published = signingKey();
const other = process.env.SERVE_OTHER_JWKS === '1' ? signingKey() : undefined;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: required('CLIENT_ID'),
      client_secret: required('CLIENT_SECRET'),
      redirect_uris: required('REDIRECT_URIS').split(','),
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: process.env.TOKEN_AUTH_METHOD || 'client_secret_basic',
    },
  ],
  jwks: { keys: [published] },
  async findAccount(ctx, accountId) {
    return { accountId, async claims() { return claimsOf(accountId); } };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  // The scope's claims go into the ID token itself, where the relying party reads them.
  conformIdTokenClaims: false,
  cookies: { keys: [randomUUID()] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
});

if (other) {
  // Answers the jwks_uri before the provider does, with a key that signs nothing.
  provider.use(async (ctx, next) => {
    if (ctx.path === '/jwks') {
      ctx.type = 'application/jwk-set+json';
      ctx.body = { keys: [publicPart(other)] };
      return;
    }
    await next();
  });
}

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc provider ${issuer} listening; signing kid ${published.kid}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(0));
}
