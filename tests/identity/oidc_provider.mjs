// A real OpenID provider for the identity tests: the certified npm package oidc-provider (v9),
// one instance per issuer, each on its own 127.0.0.1 port (tests/identity/provider.py starts it).
//
//   OIDC_ISSUERS='[{"name":"acme","port":4001},{"name":"globex","port":4002}]' node oidc_provider.mjs
//
// Its interactive login page is oidc-provider's own (devInteractions): any password, and the login
// names below are the accounts that exist. RP-initiated logout and back-channel logout are on.
// The tests talk to /__test/* on each issuer's port: register clients, rotate the signing key.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const ACCOUNTS = {
  alice: { email: 'alice@acme.example.com', email_verified: true, name: 'Alice Acme', groups: ['customers'] },
  sam: { email: 'sam@acme.example.com', email_verified: true, name: 'Sam Support', groups: ['customers', 'support-team'] },
  una: { email: 'una@acme.example.com', email_verified: false, name: 'Una Unverified', groups: [] },
};

function newKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

function build(issuer, state) {
  const provider = new Provider(issuer, {
    clients: state.clients,
    jwks: { keys: state.keys },
    cookies: { keys: ['parley-test-cookie-key'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
    pkce: { required: () => true },
    // Parley runs on 127.0.0.1 in the tests: without its SSRF guard the provider may post back-channel
    // logouts there (a real deployment keeps the guard: Parley is on a public address).
    fetch: (url, options) => { const { dispatcher, ...rest } = options; return globalThis.fetch(url, rest); },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      backchannelLogout: { enabled: true },
    },
    ttl: { Session: 3600, Interaction: 600, Grant: 3600, IdToken: 300, AccessToken: 300, AuthorizationCode: 60 },
    async findAccount(ctx, id) {
      const claims = ACCOUNTS[id];
      if (!claims) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...claims }; } };
    },
    // First-party clients: no consent screen; every requested scope is granted at once.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        const existing = await ctx.oidc.provider.Grant.find(grantId);
        if (existing) return existing;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope(ctx.oidc.requestParamScopes ? [...ctx.oidc.requestParamScopes].join(' ') : 'openid');
      await grant.save();
      return grant;
    },
  });
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  provider.on('backchannel.error', (ctx, error, client, accountId, sid) => console.error('backchannel.error', error.message, error.cause && (error.cause.code || error.cause.message), client.backchannelLogoutUri));
  return provider;
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => { try { resolve(body ? JSON.parse(body) : {}); } catch (error) { reject(error); } });
  });
}

function serve({ name, port }) {
  const issuer = `http://127.0.0.1:${port}`;
  const state = { clients: [], keys: [newKey()] };
  let provider = build(issuer, state);
  let callback = provider.callback();
  const rebuild = () => { provider = build(issuer, state); callback = provider.callback(); };

  const server = http.createServer(async (req, res) => {
    if (!req.url.startsWith('/__test/')) return callback(req, res);
    try {
      const body = req.method === 'POST' ? await readJson(req) : {};
      if (req.url === '/__test/clients') {
        state.clients = body.clients;
        rebuild();
      } else if (req.url === '/__test/rotate') {
        // The new key signs from now on; the old one stays published unless drop_old is set.
        state.keys = body.drop_old ? [newKey()] : [newKey(), ...state.keys];
        rebuild();
      } else if (req.url !== '/__test/keys') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name, issuer, kids: state.keys.map((key) => key.kid) }));
    } catch (error) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) }));
    }
  });
  server.listen(port, '127.0.0.1', () => console.log(`ready ${name} ${issuer}`));
  return server;
}

const servers = JSON.parse(process.env.OIDC_ISSUERS).map(serve);
const stop = () => { servers.forEach((server) => server.close()); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
