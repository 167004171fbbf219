// A third-party OAuth 2.0 authorization server for the interop tests: oidc-provider (an OpenID
// Certified implementation this project did not write), configured as a strict server would be for a
// native public client: PKCE S256 required, refresh tokens only with offline_access, rotated and with
// reuse detection, RFC 7009 revocation, RFC 9207 iss, form-encoded token requests only.
//
// Around it, the little a test needs and a real deployment has elsewhere:
// - /interaction/:uid signs the demo user in and consents at once (or denies, see /test/decision);
// - /api/public/v1/marketplace/... is a resource server for its tokens, answering RFC 6750 challenges;
// - /test/stats counts token requests by grant type and the marketplace's answers by status;
//   /test/decision sets what the user answers;
//   /test/revoke-access-tokens ends every access token, as an administrator would.
//
// Environment: ACCESS_TTL (seconds, default 3600), HIDE_RFC8414=1 (serve only OpenID discovery).
// Prints "listening on http://127.0.0.1:PORT" when ready.
import { generateKeyPairSync, randomUUID } from "node:crypto";
import http from "node:http";
import { URL } from "node:url";

import Provider from "oidc-provider";

const accessTtl = Number(process.env.ACCESS_TTL ?? 3600);
const API = "/api/public/v1/marketplace";
const RESOURCE = "https://marketplace.example.test";
// token_requests: by grant type; api: the marketplace's answers, by "METHOD path status" (the path with
// any skill's id as {id}), so that a test sees every 401 a client met.
const stats = { token_requests: {}, token_errors: {}, api: {} };
const accessTokens = new Set();
let decision = "approve";

/** Who the test users are, as the ID token says. */
const PEOPLE = {
  "demo-user": { name: "Demo User", email: "demo@interop.example", email_verified: true },
  sam: { name: "Sam Okafor", email: "sam@interop.example", email_verified: true },
};

const server = http.createServer();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

// A signing key of its own for each run (oidc-provider's built-in development key is the same for
// every server, so one server's ID tokens would verify with another's keys).
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: randomUUID(), alg: "RS256", use: "sig" };

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  clients: [
    {
      client_id: "atom-desktop",
      application_type: "native",
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      redirect_uris: ["com.atomagentos.marketplace://oauth/callback", "http://127.0.0.1/oauth/callback"],
    },
  ],
  scopes: ["openid", "profile", "email", "offline_access", "marketplace:read", "marketplace:write"],
  claims: { openid: ["sub"], profile: ["name"], email: ["email", "email_verified"] },
  // The ID token carries the profile and email claims granted (as many providers' do), not only
  // userinfo: the app reads who signed in from the verified ID token.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  ttl: {
    AccessToken: accessTtl,
    AuthorizationCode: 600,
    RefreshToken: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
    Interaction: 600,
    Session: 3600,
  },
  cookies: { keys: ["interop-tests-only-cookie-key"] },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: "marketplace:read marketplace:write",
        accessTokenFormat: "opaque",
        accessTokenTTL: accessTtl,
      }),
    },
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, ...(PEOPLE[sub] ?? {}) }) }),
});
provider.proxy = false;

provider.on("grant.success", (ctx) => {
  const grant = ctx.oidc.params?.grant_type ?? "unknown";
  stats.token_requests[grant] = (stats.token_requests[grant] ?? 0) + 1;
});
provider.on("access_token.saved", (token) => accessTokens.add(token.jti));
provider.on("grant.error", (ctx, err) => {
  const grant = ctx.oidc.params?.grant_type ?? "unknown";
  stats.token_requests[grant] = (stats.token_requests[grant] ?? 0) + 1;
  stats.token_errors[err.error ?? "error"] = (stats.token_errors[err.error ?? "error"] ?? 0) + 1;
});

function json(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}

/** The demo user (or the login_hint's) signs in and consents to what was asked, at once (or denies). */
async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (decision === "deny") {
    return provider.interactionFinished(req, res, {
      error: "access_denied",
      error_description: "The user denied the request",
    });
  }
  if (details.prompt.name === "login") {
    // The user the browser signs in as: the demo user, or the one the request's login_hint names.
    const hint = String(details.params.login_hint ?? "");
    const accountId = /^[a-z][a-z0-9-]{0,31}$/.test(hint) ? hint : "demo-user";
    return provider.interactionFinished(req, res, { login: { accountId } });
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  const missing = details.prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(" "));
    }
  }
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

/** The marketplace API as a resource server for this provider's tokens (RFC 6750). */
async function api(req, res, url) {
  const auth = req.headers.authorization ?? "";
  const token = auth.startsWith("Bearer ") ? auth.slice(7) : null;
  const challenge = (error, description) => ({
    "www-authenticate": `Bearer realm="marketplace", error="${error}", error_description="${description}"`,
  });
  const found = token ? await provider.AccessToken.find(token) : undefined;
  if (token && (!found || found.isExpired)) {
    return json(res, 401, { error: "invalid_token" }, challenge("invalid_token", "The access token is not valid"));
  }
  const scopes = new Set((found?.scope ?? "").split(" "));
  const path = url.pathname.slice(API.length);
  if (req.method === "GET" && path === "/categories") {
    return json(res, 200, { categories: [{ slug: "automation", name: "Automation", description: "", skill_count: 1 }] });
  }
  if (req.method === "GET" && path === "/skills") {
    return json(res, 200, { skills: [], total: 0, limit: 50, offset: 0, has_more: false });
  }
  if (req.method === "POST" && /^\/skills\/[^/]+\/rate$/.test(path)) {
    if (!found) return json(res, 401, { error: "invalid_token" }, { "www-authenticate": 'Bearer realm="marketplace"' });
    if (!scopes.has("marketplace:write")) {
      return json(res, 403, { error: "insufficient_scope" }, challenge("insufficient_scope", "marketplace:write is needed"));
    }
    await readBody(req);
    return json(res, 200, { success: true, action: "created", average_rating: 5, rating_count: 1 });
  }
  return json(res, 404, { error: "not_found" });
}

const callback = provider.callback();
server.on("request", async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    if (url.pathname.startsWith("/interaction/")) return await interaction(req, res);
    if (url.pathname.startsWith(API)) {
      res.on("finish", () => {
        const path = url.pathname.slice(API.length).replace(/^\/skills\/[^/]+/, "/skills/{id}");
        const key = `${req.method} ${path} ${res.statusCode}`;
        stats.api[key] = (stats.api[key] ?? 0) + 1;
      });
      return await api(req, res, url);
    }
    if (url.pathname === "/test/stats") return json(res, 200, stats);
    if (url.pathname === "/test/revoke-access-tokens" && req.method === "POST") {
      // What an administrator does when ending sessions: every access token issued so far is destroyed.
      for (const jti of accessTokens) await (await provider.AccessToken.find(jti))?.destroy();
      accessTokens.clear();
      return json(res, 200, { revoked: true });
    }
    if (url.pathname === "/test/decision" && req.method === "POST") {
      decision = (await readBody(req)).trim() || "approve";
      return json(res, 200, { decision });
    }
    if (process.env.HIDE_RFC8414 === "1" && url.pathname === "/.well-known/oauth-authorization-server") {
      return json(res, 404, { error: "not_found" });
    }
    return callback(req, res);
  } catch (err) {
    return json(res, 500, { error: "server_error", error_description: String(err?.message ?? err) });
  }
});

console.log(`listening on ${issuer}`);
