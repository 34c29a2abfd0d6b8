// The demo's game renderers by game name. A renderer module exports:
//   title, blurb             for the lobby's game cards
//   create(root, ctx)        -> {render(state, info), hint(state) -> {state, text}, destroy()}
// ctx: {seat, players, mode: "play" | "watch" | "replay", move(m), input(i)}.
// A game the demo does not know still gets the generic renderer: its state, and a
// button per legal move; its title and description then come from the server.

import * as generic from "./generic.js";
import * as rps from "./rps.js";
import * as tag from "./tag.js";
import * as tictactoe from "./tictactoe.js";

const RENDERERS = { tictactoe, tag, rps };

export function rendererFor(game) {
  return RENDERERS[game] || generic;
}

const announced = new Map(); // game name -> the lobby's welcome entry

/** Remembers the games the server announced (title, description, ...). */
export function setAnnounced(games) {
  announced.clear();
  for (const game of games) announced.set(game.name, game);
}

export function titleOf(game) {
  return rendererFor(game).title || announced.get(game)?.title || game;
}

export function blurbOf(game) {
  const renderer = rendererFor(game);
  if (renderer !== generic) return renderer.blurb;
  return announced.get(game)?.description || generic.blurb;
}
