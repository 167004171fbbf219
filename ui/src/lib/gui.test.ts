import { describe, expect, it } from "vitest";
import { debounce, Drafts, type KeyValue } from "./drafts";
import { defaultFilters, filtersKey, toQuery } from "./query";
import type { CustomEnvironment, ServerMetadata } from "../bindings/types";
import {
  checkServerUrl,
  customFromBase,
  emptySubmission,
  fromMetadata,
  isSemver,
  parseTags,
  validateCustomEnvironment,
  validateSubmission,
} from "./validation";
import { pagesFor, visibleRows } from "./virtual";
import { formatAge, formatCount, starRow } from "./format";
import { platformOf } from "./platform";
import { uniqueBy } from "./lists";
import { listenThenAsk } from "./subscribe";

describe("submission validation mirrors the server", () => {
  const valid = {
    ...emptySubmission(),
    name: "Changelog Writer",
    description: "Writes changelogs from PRs.",
    category: "automation",
    type: "script",
  };

  it("accepts a valid submission", () => {
    expect(validateSubmission(valid, ["automation"])).toEqual({});
  });

  it("names each broken field", () => {
    const e = validateSubmission(
      {
        ...valid,
        name: "ab",
        description: "short",
        type: "binary",
        version: "1.0",
        tags: ["Bad Tag"],
        price: -1,
        repository_url: "http://x.y",
      },
      ["automation"],
    );
    expect(Object.keys(e).sort()).toEqual([
      "description",
      "name",
      "price",
      "repository_url",
      "tags",
      "type",
      "version",
    ]);
  });

  it("measures trimmed text in characters, not bytes", () => {
    expect(validateSubmission({ ...valid, name: "  🚀🚀🚀  " }).name).toBeUndefined();
    expect(validateSubmission({ ...valid, name: "x".repeat(101) }).name).toBeDefined();
  });

  it("knows SemVer 2.0", () => {
    for (const ok of ["1.0.0", "0.1.2-beta.1", "2.0.0+build.5", "1.0.0-0.3.7"])
      expect(isSemver(ok)).toBe(true);
    for (const bad of ["1.0", "01.0.0", "1.0.0-01", "v1.0.0", "1.0.0-"]) expect(isSemver(bad)).toBe(false);
  });

  it("splits tags on commas and spaces", () => {
    expect(parseTags(" ai, llm  pdf,,")).toEqual(["ai", "llm", "pdf"]);
  });
});

describe("drafts", () => {
  function fakeStore(): KeyValue & { data: Map<string, string> } {
    const data = new Map<string, string>();
    return {
      data,
      getItem: (k) => data.get(k) ?? null,
      setItem: (k, v) => void data.set(k, v),
      removeItem: (k) => void data.delete(k),
      keys: () => [...data.keys()],
    };
  }

  it("go with the account they belong to, and only with it", () => {
    const store = fakeStore();
    const d = new Drafts(store);
    d.save("review:1f2e3d4c:web-router", { stars: 2, text: "mine" });
    d.save("mine:1f2e3d4c:web-router", 2);
    d.save("submit:1f2e3d4c", { name: "x" });
    d.save("review:1f2e3d4cff:web-router", { stars: 5, text: "another account's" });
    d.save("submit:sandbox", { name: "the sandbox's first account's" });
    d.save("custom-environment", { name: "not an account's" });
    d.clearAccount("1f2e3d4c");
    expect([...store.data.keys()].sort()).toEqual([
      "atom.draft.custom-environment",
      "atom.draft.review:1f2e3d4cff:web-router",
      "atom.draft.submit:sandbox",
    ]);
  });

  it("survives a reload of the store", () => {
    const store = fakeStore();
    new Drafts(store).save("review:x", { rating: 4, text: "half written" });
    expect(new Drafts(store).load("review:x", null)).toEqual({ rating: 4, text: "half written" });
  });

  it("falls back on corrupt or foreign data", () => {
    const store = fakeStore();
    store.data.set("atom.draft.k", "{not json");
    expect(new Drafts(store).load("k", "fallback")).toBe("fallback");
    store.data.set("atom.draft.k", JSON.stringify({ v: 99, value: 1 }));
    expect(new Drafts(store).load("k", "fallback")).toBe("fallback");
  });

  it("keeps working when storage throws", () => {
    const broken: KeyValue = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("quota");
      },
      removeItem: () => {
        throw new Error("denied");
      },
    };
    const d = new Drafts(broken);
    expect(() => d.save("k", 1)).not.toThrow();
    expect(d.load("k", 0)).toBe(0);
    expect(() => d.clear("k")).not.toThrow();
  });
});

describe("query building", () => {
  it("drops empty filters and normalises tags", () => {
    const q = toQuery({ ...defaultFilters(), search: "  pdf ", tags: "AI, llm" }, 50, 50);
    expect(q).toEqual({
      query: "pdf",
      category: null,
      tags: ["ai", "llm"],
      type: null,
      price: null,
      sort: "popularity",
      limit: 50,
      offset: 50,
    });
  });

  it("every filter changes the query key", () => {
    expect(filtersKey({ ...defaultFilters(), price: "free" })).not.toBe(filtersKey(defaultFilters()));
    expect(filtersKey({ ...defaultFilters(), sort: "name" })).not.toBe(filtersKey(defaultFilters()));
    expect(filtersKey({ ...defaultFilters(), search: "  " })).toBe(filtersKey(defaultFilters()));
  });
});

describe("virtual list", () => {
  it("renders only what is in view plus a margin", () => {
    const w = visibleRows(7600, 800, 76, 10_000, 5);
    expect(w.start).toBe(95);
    expect(w.end).toBe(100 + 12 + 5);
    expect(w.offset).toBe(95 * 76);
    expect(w.height).toBe(760_000);
  });

  it("clamps at both ends", () => {
    expect(visibleRows(-50, 800, 76, 3)).toMatchObject({ start: 0, end: 3 });
    expect(visibleRows(1e9, 800, 76, 100).end).toBe(100);
    expect(visibleRows(0, 800, 76, 0)).toMatchObject({ start: 0, end: 0, height: 0 });
  });

  it("finds the pages to fetch", () => {
    expect(pagesFor(45, 60, 50)).toEqual([0, 1]);
    expect(pagesFor(0, 0, 50)).toEqual([]);
  });
});

describe("custom server form mirrors the core", () => {
  const blank: CustomEnvironment = {
    name: "",
    api_base: "",
    issuer: null,
    authorize_url: "",
    token_url: "",
    revoke_url: null,
    client_id: "",
    redirect_scheme: null,
    token_encoding: "json",
    scopes: null,
    iss_parameter_supported: false,
    jwks_uri: null,
  };

  it("allows https anywhere and http only on this computer", () => {
    expect(checkServerUrl("https://api.example.com")).toBeUndefined();
    expect(checkServerUrl("http://127.0.0.1:8080")).toBeUndefined();
    expect(checkServerUrl("http://localhost:3000/")).toBeUndefined();
    expect(checkServerUrl("http://api.example.com")).toMatch(/https/);
    expect(checkServerUrl("ftp://example.com")).toMatch(/https/);
    expect(checkServerUrl("not a url")).toMatch(/valid/);
    expect(checkServerUrl("")).toMatch(/Required/);
    expect(checkServerUrl("  ", false)).toBeUndefined();
  });

  it("fills the OAuth addresses from the API address and then validates", () => {
    const filled = customFromBase("https://staging.example.com/", blank);
    expect(filled.authorize_url).toBe("https://staging.example.com/oauth/authorize");
    expect(filled.token_url).toBe("https://staging.example.com/oauth/token");
    expect(Object.keys(validateCustomEnvironment(filled))).toEqual(["client_id"]);
    expect(validateCustomEnvironment({ ...filled, client_id: "desk" })).toEqual({});
    expect(
      Object.keys(
        validateCustomEnvironment({ ...filled, client_id: "x", revoke_url: "http://evil.example" }),
      ),
    ).toEqual(["revoke_url"]);
    expect(filled.revoke_url).toBe("https://staging.example.com/oauth/revoke");
  });

  const metadata: ServerMetadata = {
    issuer: "https://login.example.com/tenant",
    authorization_endpoint: "https://login.example.com/tenant/auth",
    token_endpoint: "https://login.example.com/tenant/token",
    revocation_endpoint: null,
    jwks_uri: null,
    scopes_supported: ["openid", "offline_access"],
    code_challenge_methods_supported: ["S256"],
    authorization_response_iss_parameter_supported: true,
    source: "open_id",
  };

  it("fills the endpoints from a server's metadata, keeping what the user typed", () => {
    const found = fromMetadata(metadata, { ...blank, name: "Login", client_id: "desk" }, true);
    expect(found.api_base).toBe("https://login.example.com");
    expect(found.issuer).toBe("https://login.example.com/tenant");
    expect(found.token_url).toBe("https://login.example.com/tenant/token");
    expect(found.token_encoding).toBe("form");
    expect(found.scopes).toBe("marketplace:read marketplace:write offline_access");
    expect(found.iss_parameter_supported).toBe(true);
    expect([found.name, found.client_id]).toEqual(["Login", "desk"]);
    expect(fromMetadata(metadata, blank, false).scopes).toBe("marketplace:read marketplace:write");
    expect(fromMetadata({ ...metadata, scopes_supported: [] }, blank, true).scopes).toBe(
      "marketplace:read marketplace:write",
    );
    expect(fromMetadata(metadata, { ...blank, api_base: "https://api.example.com" }, true).api_base).toBe(
      "https://api.example.com",
    );
  });

  it("asks an OpenID Connect server for an ID token only when it publishes its signing keys", () => {
    const oidc = {
      ...metadata,
      jwks_uri: "https://login.example.com/tenant/jwks",
      scopes_supported: ["openid", "email", "offline_access"],
    };
    const found = fromMetadata(oidc, blank, true);
    expect(found.scopes).toBe("marketplace:read marketplace:write offline_access openid email");
    expect(found.jwks_uri).toBe("https://login.example.com/tenant/jwks");
    expect(fromMetadata(metadata, blank, true).jwks_uri).toBeNull();
  });
});

describe("formatAge", () => {
  it("says how old the saved catalogue is in words a person uses", () => {
    expect(formatAge(0)).toBe("just now");
    expect(formatAge(59)).toBe("just now");
    expect(formatAge(60)).toBe("1 min ago");
    expect(formatAge(3599)).toBe("59 min ago");
    expect(formatAge(3600)).toBe("1 h ago");
    expect(formatAge(47 * 3600)).toBe("47 h ago");
    expect(formatAge(3 * 86400)).toBe("3 days ago");
  });
});

describe("debounce", () => {
  it("flushes the last call now, once, and a cancelled or flushed call never fires later", async () => {
    const calls: string[] = [];
    const save = debounce((v: string) => calls.push(v), 20);
    save("a");
    save("b");
    save.flush();
    expect(calls).toEqual(["b"]);
    save.flush();
    save("c");
    save.cancel();
    await new Promise((r) => setTimeout(r, 40));
    expect(calls).toEqual(["b"]);
  });
});

describe("formatCount", () => {
  const grouped = new Intl.NumberFormat("en-US");
  const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
  const intl = (n: number) => (Math.abs(n) >= 100_000 ? compact.format(n) : grouped.format(n));

  it("writes what Intl's en-US formats write", () => {
    const samples = [
      0, 1, 7, 999, 1000, 1234, 99_999, 100_000, 123_456, 999_949, 999_950, 999_999, 1_000_000, 1_049_999,
      1_050_000, 12_345_678, 999_950_000, 1_234_567_890, 999_999_999_999, 1_500_000_000_000, -5, -123_456,
    ];
    // And a spread of magnitudes, deterministic.
    let x = 1;
    for (let i = 0; i < 400; i++) {
      x = (x * 48271) % 2147483647;
      samples.push(Math.floor((x / 2147483647) * 10 ** (1 + (i % 14))));
    }
    for (const n of samples) expect(formatCount(n), String(n)).toBe(intl(n));
  });

  it("never prints NaN", () => {
    expect(formatCount(Number.NaN)).toBe("0");
    expect(formatCount(Number.POSITIVE_INFINITY)).toBe("0");
  });
});

describe("platformOf", () => {
  it("tells the three desktops from their webviews' user agents", () => {
    expect(platformOf("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko)")).toBe(
      "linux",
    );
    expect(
      platformOf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"),
    ).toBe("mac");
    expect(
      platformOf(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
      ),
    ).toBe("windows");
  });
});

describe("start-up listens before it asks", () => {
  it("asks for the snapshot only once every listener is registered, even one that failed", async () => {
    const order: string[] = [];
    let register: () => void = () => {};
    const slow = new Promise<void>(
      (resolve) =>
        (register = () => {
          order.push("listening");
          resolve();
        }),
    );
    const failed = Promise.reject(new Error("no such event"));
    const done = listenThenAsk([slow, failed, Promise.resolve()], async () => void order.push("asked"));
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual([]);
    register();
    await done;
    expect(order).toEqual(["listening", "asked"]);
  });
});

describe("a row of stars never breaks", () => {
  it("keeps any rating to zero to five", () => {
    expect(starRow(3)).toBe("★★★☆☆");
    expect(starRow(7)).toBe("★★★★★");
    expect(starRow(-2)).toBe("☆☆☆☆☆");
    expect(starRow(4.6)).toBe("★★★★★");
    expect(starRow(Number.NaN)).toBe("☆☆☆☆☆");
    expect(starRow(Number.POSITIVE_INFINITY)).toBe("☆☆☆☆☆");
  });
});

describe("records a server sends twice are shown once", () => {
  it("keeps the first of each key, in order", () => {
    const rows = [
      { id: "a", n: 1 },
      { id: "b", n: 2 },
      { id: "a", n: 3 },
      { id: "c", n: 4 },
    ];
    expect(uniqueBy(rows, (r) => r.id).map((r) => r.n)).toEqual([1, 2, 4]);
    expect(uniqueBy([], (r: { id: string }) => r.id)).toEqual([]);
  });
});
