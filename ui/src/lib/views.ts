// The screens the window does not show at start-up, loaded apart from the first one: the catalogue list
// is painted before their code is even read. Each loader returns the same module once it is loaded.

export const views = {
  skill: () => import("../components/SkillDetail.svelte"),
  submit: () => import("../components/SubmitForm.svelte"),
  account: () => Promise.all([import("../components/Account.svelte"), import("../components/CustomServer.svelte")]),
  /** Loads them all now (after the first paint). */
  preload(): void {
    void views.skill();
    void views.submit();
    void views.account();
  },
};
