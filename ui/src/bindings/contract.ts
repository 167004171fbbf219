// Generated from the Rust sources by src-tauri/src/bindings.rs. Do not edit by hand:
// run `UPDATE_BINDINGS=1 cargo test -p atom-marketplace bindings` after changing a command or a type.

/** The submission and review limits of the API contract. */
export const LIMITS = {
  nameMin: 3,
  nameMax: 100,
  descriptionMin: 10,
  descriptionMax: 500,
  longDescriptionMax: 20000,
  tagsMax: 10,
  tagMax: 32,
  licenseMax: 100,
  reviewMax: 1000,
} as const;

export const SKILL_TYPES = ["api", "function", "script", "docker", "container"] as const;

/** The catalogue list's page size: the first page is the one saved for the next start. */
export const SKILLS_PAGE = 50;

/** What the app calls ATOM's service, its sandbox, and a custom server the user did not name. */
export const ENVIRONMENT_NAMES = { production: "ATOM", sandbox: "Sandbox", custom: "Custom" } as const;
