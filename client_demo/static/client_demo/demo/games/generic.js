// The renderer of a game the demo has no board for: its state as JSON and, for a game
// that lists its legal moves, one button per move (from the server's `moves` reply),
// with a banner that says whose turn it is.

import { h, mount, nameOf, pretty } from "../dom.js";

export const title = null;
export const blurb = "A game installed on this server.";

export function create(root, ctx) {
  const pre = h("pre", { class: "state-json", id: "generic-state" });
  const buttons = h("div", { class: "generic-moves", id: "generic-moves" });
  mount(root, h("div", { class: "generic" }, buttons, pre));
  let toMove = null; // seats that can move now, once the server said
  let asked = -1; // the seq whose moves were asked for
  let over = false;

  async function refreshMoves(seq) {
    if (ctx.mode !== "play" || asked === seq) return;
    asked = seq;
    try {
      const reply = await ctx.moves();
      if (asked !== seq) return; // a newer state came meanwhile: its own ask wins
      toMove = reply.to_move;
      mount(buttons, reply.moves.map(({ move, label }) => moveButton(move, label)));
    } catch (err) {
      toMove = null; // the game lists no moves, or the match moved on: the state stays shown
      mount(buttons);
    }
    ctx.refresh?.();
  }

  function moveButton(move, label) {
    const button = h("button", { class: "btn btn-primary", type: "button", dataset: { move: JSON.stringify(move) } }, label);
    button.addEventListener("click", async () => {
      for (const b of buttons.querySelectorAll("button")) b.disabled = true;
      try {
        await ctx.move(move);
      } catch {
        for (const b of buttons.querySelectorAll("button")) b.disabled = false;
      }
    });
    return button;
  }

  return {
    render(state, info = {}) {
      pre.textContent = pretty(state);
      over = info.status === "over";
      if (over || info.status !== "active") mount(buttons);
      else if (typeof info.seq === "number") refreshMoves(info.seq);
    },
    hint() {
      if (ctx.mode !== "play") return { state: "spectating", text: "In play" };
      if (!toMove || over) return { state: "playing", text: "In play" };
      if (toMove.includes(ctx.seat)) return { state: "your-turn", text: "Your turn" };
      const names = toMove.map((seat) => nameOf(ctx.players, seat)).join(" and ");
      return { state: "their-turn", text: names ? `${names}'s turn` : "In play" };
    },
    destroy() {},
  };
}
