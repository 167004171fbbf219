// The screens the window does not show at start-up, loaded apart from the first one: the catalogue list
// is painted before their code is even read. Each is loaded when the user heads for it (the pointer over
// its tab, a press on a row, the focus on either), so that opening it is still instant, and a window left
// on the catalogue never pays for the others (loading all three after the first paint cost the web
// process 1 to 1.6 MiB: docs/benchmarks.md). Each loader returns the same module once it is loaded.

export const views = {
  skill: () => import("../components/SkillDetail.svelte"),
  submit: () => import("../components/SubmitForm.svelte"),
  account: () =>
    Promise.all([
      import("../components/Account.svelte"),
      import("../components/CustomServer.svelte"),
      import("../components/AppUpdates.svelte"),
      import("../components/SignInDoctor.svelte"),
    ]),
};

/** Loads a screen ahead of its opening; a failure is the opening's to show (it asks again). */
export function prepare(view: keyof typeof views): void {
  views[view]().catch(() => {});
}
