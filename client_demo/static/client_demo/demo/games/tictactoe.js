// Tic-tac-toe: a 3x3 board of buttons. State {board, turn, marks} (protocol.md).

import { h, mount, moveWhileBusy, nameOf } from "../dom.js";

export const title = "Tic-tac-toe";
export const blurb = "Three in a row wins. X moves first.";

const LINES = [
  [0, 1, 2], [3, 4, 5], [6, 7, 8],
  [0, 3, 6], [1, 4, 7], [2, 5, 8],
  [0, 4, 8], [2, 4, 6],
];

function winningLine(board) {
  return LINES.find(([a, b, c]) => board[a] && board[a] === board[b] && board[a] === board[c]);
}

export function create(root, ctx) {
  let state = null;
  let status = null;
  let busy = false;
  const cells = Array.from({ length: 9 }, (_, i) =>
    h("button", {
      class: "ttt-cell",
      type: "button",
      dataset: { cell: String(i) },
      "aria-label": `cell ${i + 1}`,
      onclick: () => play(i),
    }),
  );
  const board = h("div", { class: "ttt-board", role: "grid" }, cells);
  const legend = h("div", { class: "ttt-legend" });
  mount(root, h("div", { class: "ttt" }, board, legend));

  // The deciding move's update comes just before match.over (the result is written
  // first): in between, the board is over though the match is still "active".
  const decided = () => Boolean(winningLine(state.board)) || state.board.every(Boolean);

  function myTurn() {
    return (
      ctx.mode === "play" && state && status === "active" && state.turn === ctx.seat && !busy && !decided()
    );
  }

  async function play(cell) {
    if (!myTurn() || state.board[cell]) return;
    await moveWhileBusy(ctx, { cell }, (value) => {
      busy = value;
      draw();
    });
  }

  function draw() {
    if (!state) return;
    const line = winningLine(state.board) || [];
    state.board.forEach((mark, i) => {
      const cell = cells[i];
      cell.textContent = mark || "";
      cell.dataset.mark = mark || "";
      cell.classList.toggle("win", line.includes(i));
      cell.disabled = Boolean(mark) || !myTurn();
    });
    board.classList.toggle("playable", myTurn());
    const marks = state.marks || ["X", "O"];
    mount(
      legend,
      marks.map((mark, seat) =>
        h(
          "span",
          { class: `ttt-tag mark-${mark}${state.turn === seat && status === "active" ? " current" : ""}` },
          h("b", {}, mark),
          ` ${nameOf(ctx.players, seat)}${seat === ctx.seat ? " (you)" : ""}`,
        ),
      ),
    );
  }

  return {
    render(next, info) {
      state = next;
      status = info.status;
      draw();
    },
    hint() {
      if (!state) return null;
      if (status === "active" && decided()) return { state: "ending", text: "Game over…" };
      const turnName = nameOf(ctx.players, state.turn);
      if (ctx.mode !== "play") return { state: "spectating", text: `${turnName} to move` };
      if (state.turn === ctx.seat) {
        return { state: "your-turn", text: `Your turn: you play ${state.marks[ctx.seat]}` };
      }
      return { state: "their-turn", text: `${turnName}'s turn` };
    },
    destroy() {},
  };
}
