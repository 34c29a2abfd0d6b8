// Ratings as the demo shows them: one decimal, changes with a sign, and the block a
// finished rated match shows under its board.

import { h, nameOf } from "../dom.js";

/** "12.3" (a rating is the ordinal mu - 3 sigma: a new player's is 0.0). */
export function shown(rating) {
  return typeof rating === "number" ? rating.toFixed(1) : "–";
}

/** "+2.1", "-0.4", "±0.0" */
export function change(before, after) {
  const d = after - before;
  const text = Math.abs(d).toFixed(1);
  if (text === "0.0") return "±0.0";
  return d > 0 ? `+${text}` : `-${text}`;
}

/** The rating changes of a rated match.over: "ann 0.0 → 3.4 (+3.4)" per seat. */
export function changes(ratings, players, mySeat) {
  return h(
    "div",
    { class: "card rating-changes", id: "rating-change" },
    h("h2", {}, "Ratings"),
    h(
      "ul",
      { class: "list" },
      ratings.map(({ seat, before, after }) =>
        h(
          "li",
          { class: `list-row${seat === mySeat ? " me" : ""}`, dataset: { seat: String(seat) } },
          h("span", { class: "grow" }, nameOf(players, seat), seat === mySeat ? " (you)" : ""),
          h("span", { class: "muted" }, `${shown(before.rating)} → ${shown(after.rating)}`),
          h("span", { class: `delta ${after.rating >= before.rating ? "up" : "down"}` }, change(before.rating, after.rating)),
        ),
      ),
    ),
  );
}
