// Fallback renderer for games the demo has no board for: the state as JSON.

import { h, mount } from "../dom.js";

export const title = null;
export const blurb = "A game installed on this server.";

export function create(root, ctx) {
  const pre = h("pre", { class: "state-json" });
  mount(root, pre);
  return {
    render(state) {
      pre.textContent = JSON.stringify(state, null, 2);
    },
    hint() {
      return { state: ctx.mode === "play" ? "playing" : "spectating", text: "In play" };
    },
    destroy() {},
  };
}
