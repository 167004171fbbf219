// The app's state as every screen reads it: who is signed in, the environment, the rate limits, the
// keystore, whether the server answers, and the categories. It is kept up to date here, from the app's
// snapshot (`app_info`) and its events (`pump.ts`); App.svelte keeps layout and routing only.
import { commands } from "../bindings/commands";
import type {
  AccountView,
  AccountsView,
  AppInfo,
  AuthState,
  Category,
  EnvironmentView,
  ErrorInfo,
  Fetched,
  KeystoreStatus,
  RateLimitStatus,
} from "../bindings/types";
import { isSignedIn } from "./auth";
import { afterPaint, boot } from "./boot";
import { drafts } from "./drafts";
import { toErrorInfo } from "./errors";
import { uniqueBy } from "./lists";
import { on, onMissed } from "./pump";
import { Resource } from "./resource.svelte";
import { onReconnect, setOnline } from "./network.svelte";
import { listenThenAsk } from "./subscribe";
import { notify, notifyError } from "./toast.svelte";
import { followUpdates, setUpdateInfo } from "./updates.svelte";

class AppState {
  info = $state<AppInfo | null>(null);
  environment = $state<EnvironmentView | null>(boot?.environment ?? null);
  limits = $state<RateLimitStatus | null>(null);
  keystore = $state<KeystoreStatus>({ available: true, detail: null });
  signInError = $state<ErrorInfo | null>(null);
  switching = $state(false);
  /** Every account, the active one marked. */
  accounts = $state<AccountView[]>([]);

  /** The active account (`null` before the first snapshot). */
  get account(): AccountView | null {
    return this.accounts.find((a) => a.active) ?? null;
  }

  /** The active account's state: what the window offers (writes, sign-in), from the accounts alone. */
  get auth(): AuthState {
    return this.account?.auth ?? { state: "signed_out" };
  }

  /**
   * Which account: drafts are kept per account. An environment's first account keeps the key drafts had
   * when they were kept per environment, so that none is lost.
   */
  get accountKey(): string {
    const account = this.account;
    return account && !account.first ? account.id : (this.environment?.kind ?? "production");
  }

  /** Counts the switches to another environment (or server): what shows its data starts again. */
  environmentEpoch = $state(0);
}

export const app = new AppState();

/** The categories, for the sidebar and the submit form: the saved ones at once, then the server's. */
export const categories = new Resource<Category[]>(
  async (freshness) => oneOfEach(await commands.listCategories(freshness)),
  boot?.categories ? oneOfEach(boot.categories) : null,
);

/** A server may list a category twice: the sidebar shows it once. */
function oneOfEach(reply: Fetched<Category[]>): Fetched<Category[]> {
  return { ...reply, data: uniqueBy(reply.data, (c) => c.slug) };
}

/** Bumped by every "connectivity" event: a snapshot asked for before the latest event is older than it. */
let connectivityEvents = 0;

/** The app's snapshot: what the events have not said yet (start-up, a window opened late). */
export async function refreshInfo(): Promise<void> {
  const eventsBefore = connectivityEvents;
  try {
    const info = await commands.appInfo();
    app.info = info;
    if (!performance.getEntriesByName("app-info").length) performance.mark("app-info");
    app.environment = info.environment;
    app.keystore = info.keystore;
    setAccounts(info.accounts);
    setUpdateInfo(info.updates);
    // The event wins over a snapshot that crossed it on the way (it would say "online" again).
    if (connectivityEvents === eventsBefore) setOnline(info.online);
    if (info.pending_error) {
      app.signInError = info.pending_error;
      notifyError(info.pending_error);
    }
  } catch (e) {
    app.signInError = toErrorInfo(e);
  }
}

/** Loads the categories; a failure to reach the server is the list's to explain, anything else a toast. */
async function loadCategories(
  freshness: "cache_first" | "live" = "cache_first",
  first: Promise<Fetched<Category[]>> | null = null,
) {
  await categories.reload(freshness, first);
  const e = categories.error;
  if (e && !["network", "certificate", "proxy"].includes(e.code)) notifyError(e);
}
onReconnect(() => void loadCategories("live"));

/** Makes ATOM or the sandbox the active environment. */
export async function switchEnvironment(kind: "production" | "sandbox"): Promise<void> {
  app.switching = true;
  try {
    app.environment = await commands.switchEnvironment({ kind });
    await refreshInfo();
  } catch (e) {
    notifyError(toErrorInfo(e));
  } finally {
    app.switching = false;
  }
}

/**
 * The accounts and their states, from the snapshot or the `accounts` event: the one source of who is
 * signed in. The active account's own change of state is news (signed in, session ended); another
 * account becoming active, or start-up's first list, is not.
 */
export function setAccounts(view: AccountsView) {
  const before = app.account;
  app.accounts = view.accounts;
  const now = app.account;
  if (!before || !now || before.id !== now.id) return;
  const [was, is] = [before.auth, now.auth];
  if (isSignedIn(is)) app.signInError = null;
  if (is.state === "signed_in" && !isSignedIn(was)) notify("success", "Signed in");
  if (is.state === "needs_reauth" && was.state !== "needs_reauth")
    notify("error", "Your session has ended", is.reason.hint);
}

/** The active account's id, for a command that acts on it (the one the window shows). */
export function activeAccountId(): string {
  const id = app.account?.id;
  if (!id)
    throw { code: "no_such_account", message: "no account is active yet", hint: "Try again in a moment." };
  return id;
}

/** Runs a change of account (switch, add, sign out): its errors are a toast; `true` when it worked. */
async function accountAction(action: () => Promise<unknown>): Promise<boolean> {
  app.switching = true;
  try {
    await action();
    await refreshInfo();
    return true;
  } catch (e) {
    notifyError(toErrorInfo(e));
    return false;
  } finally {
    app.switching = false;
  }
}

/** Makes account `id` the active one: the catalogue, the quota and every write follow it. */
export const switchAccount = (id: string) => accountAction(() => commands.switchAccount(id));

/** Adds an account (not signed in yet) on the active environment and makes it active. */
export const addAccount = () => accountAction(() => commands.addAccount());

/** Signs out of account `id` only; the others stay signed in, and its row stays. */
export const signOutAccount = (id: string) =>
  accountAction(async () => {
    const result = await commands.signOutAccount(id);
    if (result.warning) notifyError(result.warning);
  });

/** Takes account `id` off the list (signed out first, where it still was); its drafts go with it. */
export const removeAccount = (id: string) =>
  accountAction(async () => {
    const account = app.accounts.find((a) => a.id === id);
    // The key its drafts are kept under (`accountKey`): a server's first account keeps its kind's.
    const key = account ? (account.first ? account.environment_kind : account.id) : null;
    const result = await commands.removeAccount(id);
    if (key) drafts.clearAccount(key);
    if (result.warning) notifyError(result.warning);
  });

/** Gives account `id` the user's name for it (empty: the server's name shows again). */
export const renameAccount = (id: string, name: string) =>
  accountAction(() => commands.renameAccount(id, name));

/** Signs out of every account. */
export const signOutAll = () =>
  accountAction(async () => {
    const result = await commands.signOutAll();
    if (result.warning) notifyError(result.warning);
  });

/**
 * What a link in the app's scheme asked for (a skill to show, or why it was refused), taken once: the
 * event says there is one, and a cold start's link is there before the window listens.
 */
async function takeLink(openSkill: (id: string) => void): Promise<void> {
  try {
    const link = await commands.takeLink();
    if (link?.kind === "skill") openSkill(link.id);
    else if (link?.kind === "refused") notifyError(link.error);
  } catch (e) {
    notifyError(toErrorInfo(e));
  }
}

/**
 * Starts keeping the state up to date: the events first, then the snapshot (`subscribe.ts` says why).
 * `onSwitch` runs when the user (or a link) makes another environment active; `openSkill` when a link
 * opens a skill. Returns the stop.
 */
export function startApp(onSwitch: () => void, openSkill: (id: string) => void): () => void {
  const unlisten = [
    on("sign-in-error", (e) => {
      app.signInError = e;
      notifyError(e);
    }),
    on("rate-limit", (r) => (app.limits = r)),
    on("keystore", (k) => (app.keystore = k)),
    on("link", () => void takeLink(openSkill)),
    on("accounts", setAccounts),
    followUpdates(),
    on("connectivity", (online) => {
      connectivityEvents++;
      setOnline(online);
    }),
    on("environment", (env) => {
      // Start-up announces its environment too: only a real switch resets what the user is looking at.
      const before = app.environment;
      const switched = before !== null && (before.kind !== env.kind || before.api_base !== env.api_base);
      app.environment = env;
      if (switched) {
        app.environmentEpoch++;
        onSwitch();
      }
      void refreshInfo();
      void loadCategories();
    }),
  ];
  // Fallen so far behind that some events were dropped: what they said is in a new snapshot.
  const stopMissed = onMissed(() => {
    void refreshInfo();
    void loadCategories();
  });
  // The snapshot (which also tells the app that the page is up) once the listeners are in place.
  void listenThenAsk(unlisten, async () => {
    await refreshInfo();
    await takeLink(openSkill);
  });
  // Categories painted from the saved ones are revalidated once the first frame is on screen.
  const seed = boot?.categories;
  if (seed) afterPaint(() => void loadCategories("cache_first", Promise.resolve(oneOfEach(seed))));
  else void loadCategories();
  return () => {
    stopMissed();
    unlisten.forEach((p) => p.then((f) => f()));
  };
}
