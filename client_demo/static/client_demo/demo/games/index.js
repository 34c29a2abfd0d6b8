// The demo's game renderers by game name. A renderer module exports:
//   title, blurb             for the lobby's game cards
//   create(root, ctx)        -> {render(state, info), hint(state) -> {state, text}, destroy()}
// ctx: {seat, players, mode: "play" | "watch" | "replay", move(m), input(i)}.
// A game the demo does not know still gets the generic renderer (the state as JSON).

import * as generic from "./generic.js";
import * as rps from "./rps.js";
import * as tag from "./tag.js";
import * as tictactoe from "./tictactoe.js";

const RENDERERS = { tictactoe, tag, rps };

export function rendererFor(game) {
  return RENDERERS[game] || generic;
}

export function titleOf(game) {
  return rendererFor(game).title || game;
}
