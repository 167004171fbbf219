// The server's rules for a submission (docs/api-contract.md), checked as the user types. The core checks
// them again before sending, and the server has the last word: its field errors are shown the same way.
import type { CustomEnvironment, ServerMetadata, Submission } from "../bindings/types";

// The contract's limits come from the Rust contract (generated, like the other bindings).
import { LIMITS, SKILL_TYPES } from "../bindings/contract";
export { LIMITS, SKILL_TYPES };

export type FieldErrors = Partial<Record<keyof Submission | string, string>>;

const chars = (s: string) => [...s.trim()].length;

export function isSemver(v: string): boolean {
  const num = "(0|[1-9]\\d*)";
  const ident = "[0-9A-Za-z-]+";
  const pre = `(?:-((?:${num}|\\d*[A-Za-z-][0-9A-Za-z-]*)(?:\\.(?:${num}|\\d*[A-Za-z-][0-9A-Za-z-]*))*))`;
  const build = `(?:\\+(${ident}(?:\\.${ident})*))`;
  return new RegExp(`^${num}\\.${num}\\.${num}${pre}?${build}?$`).test(v);
}

function isHttps(u: string): boolean {
  try {
    const url = new URL(u);
    return url.protocol === "https:" && url.hostname !== "";
  } catch {
    return false;
  }
}

/** Splits "a, b  c" into tags. */
export function parseTags(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter((t) => t !== "");
}

export function validateSubmission(s: Submission, categories: string[] = []): FieldErrors {
  const e: FieldErrors = {};
  const name = chars(s.name);
  if (name === 0) e.name = "Required.";
  else if (name < LIMITS.nameMin || name > LIMITS.nameMax)
    e.name = `${LIMITS.nameMin} to ${LIMITS.nameMax} characters.`;
  const desc = chars(s.description);
  if (desc === 0) e.description = "Required.";
  else if (desc < LIMITS.descriptionMin || desc > LIMITS.descriptionMax)
    e.description = `${LIMITS.descriptionMin} to ${LIMITS.descriptionMax} characters.`;
  if (chars(s.long_description) > LIMITS.longDescriptionMax)
    e.long_description = `At most ${LIMITS.longDescriptionMax.toLocaleString("en")} characters.`;
  if (s.category.trim() === "") e.category = "Choose a category.";
  else if (categories.length > 0 && !categories.includes(s.category)) e.category = "Not a known category.";
  if (s.type.trim() === "") e.type = "Choose a type.";
  else if (!(SKILL_TYPES as readonly string[]).includes(s.type)) e.type = `One of ${SKILL_TYPES.join(", ")}.`;
  if (s.version.trim() === "") e.version = "Required.";
  else if (!isSemver(s.version.trim())) e.version = "A SemVer version such as 1.0.0.";
  if (s.tags.length > LIMITS.tagsMax) e.tags = `At most ${LIMITS.tagsMax} tags.`;
  else if (s.tags.some((t) => !/^[a-z0-9-]+$/.test(t) || t.length > LIMITS.tagMax))
    e.tags = `Tags use a-z, 0-9 and -, up to ${LIMITS.tagMax} characters.`;
  if (!Number.isFinite(s.price) || s.price < 0) e.price = "A price of 0 or more (0 is free).";
  if ((s.license ?? "").trim().length > LIMITS.licenseMax)
    e.license = `At most ${LIMITS.licenseMax} characters.`;
  for (const f of ["repository_url", "documentation_url"] as const) {
    const v = (s[f] ?? "").trim();
    if (v !== "" && !isHttps(v)) e[f] = "An https:// address.";
  }
  return e;
}

/** The body to send: empty optional fields left out, text trimmed. */
export function cleanSubmission(s: Submission): Submission {
  const opt = (v: string | null | undefined) => (v && v.trim() !== "" ? v.trim() : null);
  return {
    ...s,
    name: s.name.trim(),
    description: s.description.trim(),
    long_description: s.long_description.trim(),
    version: s.version.trim(),
    license: opt(s.license),
    repository_url: opt(s.repository_url),
    documentation_url: opt(s.documentation_url),
  };
}

export function emptySubmission(): Submission {
  return {
    name: "",
    description: "",
    long_description: "",
    category: "",
    type: "",
    version: "1.0.0",
    tags: [],
    price: 0,
    license: null,
    repository_url: null,
    documentation_url: null,
    config: null,
  };
}

/** Mirrors the core's rule for a custom server's addresses: https, or plain http on this computer only. */
export function checkServerUrl(u: string, required = true): string | undefined {
  const text = u.trim();
  if (text === "") return required ? "Required." : undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "Not a valid address.";
  }
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (url.protocol === "https:" && url.hostname !== "") return undefined;
  if (url.protocol === "http:" && loopback) return undefined;
  return "Use https (plain http only for 127.0.0.1 or localhost).";
}

export function validateCustomEnvironment(c: CustomEnvironment): FieldErrors {
  const errors: FieldErrors = {};
  const put = (field: string, message: string | undefined) => message && (errors[field] = message);
  put("api_base", checkServerUrl(c.api_base));
  put("authorize_url", checkServerUrl(c.authorize_url));
  put("token_url", checkServerUrl(c.token_url));
  put("revoke_url", checkServerUrl(c.revoke_url ?? "", false));
  if (c.client_id.trim() === "")
    errors.client_id = "Required: the client ID the server registered for this app.";
  return errors;
}

/** Fills the OAuth addresses from the API address, the way ATOM-compatible servers lay them out. */
export function customFromBase(base: string, previous: CustomEnvironment): CustomEnvironment {
  const root = base.trim().replace(/\/+$/, "");
  return {
    ...previous,
    api_base: base,
    authorize_url: `${root}/oauth/authorize`,
    token_url: `${root}/oauth/token`,
    revoke_url: `${root}/oauth/revoke`,
  };
}

/** The marketplace's scopes, and the one that asks a standard server for a refresh token. */
export const MARKETPLACE_SCOPES = "marketplace:read marketplace:write";
export const OFFLINE_ACCESS = "offline_access";

/**
 * Settings from a server's metadata: its endpoints and issuer, form-encoded token requests (a server
 * that publishes metadata follows RFC 6749), and the marketplace's scopes, with `offline_access` when
 * the server offers it and the user wants to stay signed in. The API address defaults to the issuer's
 * origin; what the user typed for name, API address and client ID is kept.
 */
export function fromMetadata(
  m: ServerMetadata,
  previous: CustomEnvironment,
  stayOnline: boolean,
): CustomEnvironment {
  const offline = stayOnline && m.scopes_supported.includes(OFFLINE_ACCESS);
  // An OpenID Connect server: its verified ID token says who signed in (the core's `to_custom`).
  const openid = m.jwks_uri !== null && m.scopes_supported.includes("openid");
  const identity = openid ? ["openid", "profile", "email"].filter((s) => m.scopes_supported.includes(s)) : [];
  let origin = m.issuer;
  try {
    origin = new URL(m.issuer).origin;
  } catch {
    /* the core checked it; keep it as it is */
  }
  return {
    ...previous,
    api_base: previous.api_base.trim() === "" ? origin : previous.api_base,
    issuer: m.issuer,
    authorize_url: m.authorization_endpoint,
    token_url: m.token_endpoint,
    revoke_url: m.revocation_endpoint,
    token_encoding: "form",
    scopes: [MARKETPLACE_SCOPES, ...(offline ? [OFFLINE_ACCESS] : []), ...identity].join(" "),
    iss_parameter_supported: m.authorization_response_iss_parameter_supported,
    jwks_uri: openid ? m.jwks_uri : null,
  };
}
