//! The scripts the benchmark runs in the app's page (through WebDriver's execute): each starts an
//! action, waits for its outcome on the page and leaves its figures in `window.__bench`.

pub(crate) const SEARCH: &str = r#"
const [q] = arguments;
const count = () => document.querySelector('[data-testid=result-count]')?.textContent ?? '';
const before = count();
window.__bench = null;
const input = document.querySelector('[data-testid=search]');
const t0 = performance.now();
input.value = q;
input.dispatchEvent(new Event('input', { bubbles: true }));
const check = () => {
  const c = count();
  if (c !== before && c !== 'Loading…' && document.querySelector('[data-testid=skill-row]')) {
    requestAnimationFrame(() => { window.__bench = performance.now() - t0; });
  } else setTimeout(check, 1);
};
check();
"#;

pub(crate) const SCROLL: &str = r#"
const s = document.querySelector('[data-testid=skill-scroller]');
window.__bench = null;
const frames = [];
let last = 0;
const t0 = performance.now();
const frame = (now) => {
  frames.push(now - last);
  last = now;
  if (s.scrollTop + s.clientHeight >= s.scrollHeight - 2) {
    // At the end: wait for the last rows' page too.
    const settle = () => document.querySelector('[data-testid=skill-list] .skeleton')
      ? requestAnimationFrame(settle)
      : (window.__bench = { frames, ms: performance.now() - t0, rows: s.scrollHeight / 84 });
    settle();
    return;
  }
  s.scrollTop += s.clientHeight;
  requestAnimationFrame(frame);
};
requestAnimationFrame((now) => { last = now; s.scrollTop += s.clientHeight; requestAnimationFrame(frame); });
"#;

/// Sign in with the browser: click → signed in painted, in ms, and both moments on the epoch (ms), so
/// that the fake browser's own times (its log) split it.
pub(crate) const SIGN_IN: &str = r#"
window.__bench = null;
const t0 = performance.now();
document.querySelector('[data-testid=sign-in-browser]').click();
const check = () => {
  const s = document.querySelector('[data-testid=auth-state]');
  if (s && s.dataset.state === 'signed_in') requestAnimationFrame(() => {
    const t1 = performance.now();
    window.__bench = { ms: t1 - t0, clicked: performance.timeOrigin + t0, painted: performance.timeOrigin + t1 };
  });
  else setTimeout(check, 1);
};
check();
"#;

/// Rate the skill shown 4 stars: click → the new average painted, and how many commands the window
/// called meanwhile.
pub(crate) const RATE: &str = r#"
window.__bench = null;
// Tauri sends each command as a fetch of an ipc: URL (WebKitGTK keeps no resource timing for that
// scheme): counted from here.
const fetch0 = window.fetch;
let calls = 0;
window.fetch = (url, ...rest) => { if (String(url).startsWith('ipc:')) calls += 1; return fetch0(url, ...rest); };
const count = () => document.querySelector('[data-testid=rating-count]')?.textContent ?? '';
const before = count();
// The reply painted: the count moved, or (a user who rated this skill in an earlier run replaces that
// rating, and the count stays) the reply's own success notice appeared.
const toasts = () => [...document.querySelectorAll('[data-kind=success]')];
const old = new Set(toasts());
const answered = () => count() !== before || toasts().some((t) => !old.has(t));
document.querySelector("[data-testid=star-rating] [data-star='4']").click();
const t0 = performance.now();
document.querySelector('[data-testid=post-review]').click();
const check = () => {
  if (answered()) requestAnimationFrame(() => { window.fetch = fetch0; window.__bench = { ms: performance.now() - t0, ipc: calls }; });
  else setTimeout(check, 1);
};
check();
"#;

/// Switch to the other account from the account menu: click → its "as …" and the catalogue painted.
pub(crate) const SWITCH: &str = r#"
const [id, name] = arguments;
window.__bench = null;
document.querySelector('[data-testid=account-menu]').click();
const item = () => document.querySelector(`[data-testid=account-menu-item][data-id="${id}"]`);
const go = () => {
  if (!item()) return setTimeout(go, 1);
  const t0 = performance.now();
  item().click();
  const check = () => {
    const menu = document.querySelector('[data-testid=account-menu]');
    if (menu && menu.title.startsWith(name) && document.querySelector('[data-testid=skill-row]'))
      requestAnimationFrame(() => { window.__bench = performance.now() - t0; });
    else setTimeout(check, 1);
  };
  check();
};
go();
"#;

/// Watches for a skill's page to paint `name` (a link opened it): the epoch milliseconds of that frame.
pub(crate) const WATCH_SKILL: &str = r#"
const [name] = arguments;
window.__bench = null;
const check = () => {
  const h = document.querySelector('[data-testid=skill-name]');
  if (h && h.textContent === name) requestAnimationFrame(() => { window.__bench = performance.timeOrigin + performance.now(); });
  else setTimeout(check, 1);
};
check();
"#;

pub(crate) const RESULT: &str = "return window.__bench";

/// `--probe`: the style variant `css` in place of the last one, then `n` viewports scrolled from the top,
/// one a frame; the frame times.
pub(crate) const PROBE: &str = r#"
const [css, n] = arguments;
window.__bench = null;
let sheet = document.getElementById('bench-probe');
if (!sheet) {
  sheet = document.createElement('style');
  sheet.id = 'bench-probe';
  document.head.append(sheet);
}
sheet.textContent = css;
const s = document.querySelector('[data-testid=skill-scroller]');
s.scrollTop = 0;
const frames = [];
let last = 0;
const frame = (now) => {
  frames.push(now - last);
  last = now;
  if (frames.length >= n) return void (window.__bench = frames);
  s.scrollTop += s.clientHeight;
  requestAnimationFrame(frame);
};
// Two frames to settle at the top first.
requestAnimationFrame(() => requestAnimationFrame((now) => {
  last = now;
  s.scrollTop += s.clientHeight;
  requestAnimationFrame(frame);
}));
"#;
