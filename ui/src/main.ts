import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";
import { platformOf } from "./lib/platform";

// Start-up marks for profiling (performance.getEntriesByType("mark"); docs/benchmarks.md).
performance.mark("script-start");
// Before the first layout: the font depends on it.
document.documentElement.dataset.platform = platformOf(navigator.userAgent);

const target = document.getElementById("app");
if (!target) throw new Error("no #app element");
const app = mount(App, { target });
performance.mark("mounted");
export default app;
