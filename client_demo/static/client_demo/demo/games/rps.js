// Rock-paper-scissors, best of three, with hidden choices. The server sends each seat
// its own view: {round, score, chosen: [bool, bool], choice (own, this round), history}.

import { h, mount, moveWhileBusy, nameOf } from "../dom.js";

export const title = "Rock paper scissors";
export const blurb = "Best of three. Choices stay secret until both are in.";

// Drawn icons rather than emoji: they look the same on every machine.
const STROKE = 'stroke="#475569" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"';
const SVG = {
  rock: `<path d="M9 31 L13 18 L24 11 L36 14 L41 27 L35 38 L18 39 Z" fill="#cbd5e1" ${STROKE}/>
    <path d="M19 21 L26 17 M30 30 L35 27" fill="none" ${STROKE}/>`,
  paper: `<path d="M13 7 H30 L37 14 V41 H13 Z" fill="#ffffff" ${STROKE}/>
    <path d="M30 7 V14 H37 M18 21 H32 M18 27 H32 M18 33 H27" fill="none" ${STROKE}/>`,
  scissors: `<circle cx="15" cy="36" r="6" fill="#e0e7ff" ${STROKE}/>
    <circle cx="33" cy="36" r="6" fill="#e0e7ff" ${STROKE}/>
    <path d="M19 31 L35 7 M29 31 L13 7" fill="none" ${STROKE}/>`,
};
const CHOICES = [
  { name: "rock", label: "Rock" },
  { name: "paper", label: "Paper" },
  { name: "scissors", label: "Scissors" },
];
const LABEL = Object.fromEntries(CHOICES.map((c) => [c.name, c.label]));

/** The icon of a choice as an element; `cls` sizes it. */
function icon(choice, cls) {
  const span = h("span", { class: cls, title: LABEL[choice] || "" });
  span.innerHTML = `<svg viewBox="0 0 48 48" aria-hidden="true">${SVG[choice] || ""}</svg>`;
  return span;
}

export function create(root, ctx) {
  let state = null;
  let status = null;
  let busy = false;
  // Seat order on screen: the viewer first when seated.
  const left = ctx.seat === 1 ? 1 : 0;
  const right = 1 - left;
  const you = (seat) => (seat === ctx.seat ? " (you)" : "");

  const scoreLeft = h("span", { class: "rps-score", dataset: { seat: String(left) } }, "0");
  const scoreRight = h("span", { class: "rps-score", dataset: { seat: String(right) } }, "0");
  const chosenLeft = h("span", { class: "rps-chosen", dataset: { seat: String(left) } });
  const chosenRight = h("span", { class: "rps-chosen", dataset: { seat: String(right) } });
  const roundLabel = h("div", { class: "rps-round" });
  const reveal = h("div", { class: "rps-reveal" });
  const buttons = CHOICES.map((c) =>
    h(
      "button",
      { class: "rps-choice", type: "button", dataset: { choice: c.name }, onclick: () => choose(c.name) },
      icon(c.name, "rps-icon"),
      h("span", {}, c.label),
    ),
  );
  const picker = h("div", { class: "rps-picker" }, buttons);
  const history = h("ol", { class: "rps-history" });
  const historyTitle = h("h3", { class: "rps-history-title", hidden: true }, "Rounds");

  mount(
    root,
    h(
      "div",
      { class: "rps" },
      h(
        "div",
        { class: "rps-scoreboard" },
        h("div", { class: "rps-side" }, h("div", { class: "rps-name" }, nameOf(ctx.players, left) + you(left)), scoreLeft, chosenLeft),
        h("div", { class: "rps-vs" }, roundLabel, h("span", {}, "vs")),
        h("div", { class: "rps-side" }, h("div", { class: "rps-name" }, nameOf(ctx.players, right) + you(right)), scoreRight, chosenRight),
      ),
      reveal,
      ctx.mode === "play" ? picker : null,
      historyTitle,
      history,
    ),
  );

  async function choose(choice) {
    if (!canChoose()) return;
    await moveWhileBusy(ctx, { choice }, (value) => {
      busy = value;
      draw();
    });
  }

  // The deciding round's update comes just before match.over (the result is written
  // first): in between, the match is decided though still "active".
  const decided = () => Math.max(...(state.score || [0, 0])) >= 2 || (state.history || []).length >= 9;

  function canChoose() {
    return ctx.mode === "play" && status === "active" && state && !state.choice && !busy && !decided();
  }

  function chosenText(seat) {
    if (!state || status === "over") return "";
    if (seat === ctx.seat && state.choice) return `${LABEL[state.choice]} chosen`;
    return state.chosen?.[seat] ? "✓ has chosen" : "thinking…";
  }

  function roundResult(round, seat) {
    if (round.winner === null || round.winner === undefined) return "tie";
    if (seat === null) return "";
    return round.winner === seat ? "won" : "lost";
  }

  function draw() {
    if (!state) return;
    const score = state.score || state.scores || [0, 0];
    scoreLeft.textContent = score[left];
    scoreRight.textContent = score[right];
    chosenLeft.textContent = chosenText(left);
    chosenRight.textContent = chosenText(right);
    roundLabel.textContent = status === "over" ? "Final" : `Round ${state.round ?? "?"}`;
    for (const button of buttons) {
      button.disabled = !canChoose();
      button.classList.toggle("picked", state.choice === button.dataset.choice);
    }
    const rounds = state.history || [];
    const last = rounds[rounds.length - 1];
    historyTitle.hidden = rounds.length === 0;
    mount(reveal, last ? revealOf(last) : h("span", { class: "muted" }, "First to two round wins takes the match."));
    mount(
      history,
      rounds.map((round, i) =>
        h(
          "li",
          { class: `rps-row ${roundResult(round, ctx.seat)}` },
          h("span", { class: "muted" }, `Round ${i + 1}`),
          h("span", {}, icon(round.choices[left], "rps-mini"), ` ${LABEL[round.choices[left]]}`),
          h("span", { class: "muted" }, "vs"),
          h("span", {}, icon(round.choices[right], "rps-mini"), ` ${LABEL[round.choices[right]]}`),
          h("span", { class: "rps-outcome" }, round.winner === null ? "tie" : `${nameOf(ctx.players, round.winner)} wins`),
        ),
      ),
    );
  }

  function revealOf(round) {
    const outcome =
      round.winner === null
        ? "Tie, play the round again"
        : round.winner === ctx.seat
          ? "You take the round"
          : `${nameOf(ctx.players, round.winner)} takes the round`;
    return h(
      "div",
      { class: "rps-last" },
      icon(round.choices[left], "rps-big"),
      h("span", { class: "rps-last-text" }, outcome),
      icon(round.choices[right], "rps-big"),
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
      if (status === "active" && decided()) return { state: "ending", text: "Match over…" };
      if (ctx.mode !== "play") return { state: "spectating", text: `Round ${state.round}` };
      if (!state.choice) return { state: "your-turn", text: "Choose rock, paper or scissors" };
      return { state: "their-turn", text: `Waiting for ${nameOf(ctx.players, right)}` };
    },
    destroy() {},
  };
}
