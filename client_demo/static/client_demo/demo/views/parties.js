// Parties and bots in the demo: the party card of the lobby, the party's buttons on the
// game cards, invite links (/?party=CODE), "Play against the computer", and what
// "Play again" does after a party's match.

import { h, mount, toast } from "../dom.js";

/** The party code of an invite link (`/?party=CODE`), or null. */
export function inviteFromUrl() {
  const code = new URLSearchParams(location.search).get("party");
  return code ? code.trim().toUpperCase() : null;
}

/** The link that invites someone to `code`'s party. */
export function inviteLink(code) {
  return `${location.origin}/?party=${encodeURIComponent(code)}`;
}

/** Keeps `app.party` and the party's queue in step with the lobby socket. */
export function listen(app, lobby) {
  lobby.on("party.state", ({ party }) => {
    app.party = party;
    app.emitChange();
  });
  lobby.on("party.left", () => {
    app.party = null;
    app.emitChange();
  });
  lobby.on("queue.joined", ({ game, party }) => {
    if (!party) return; // one's own ticket: queueFor keeps it
    app.queue = { game, since: Date.now(), party };
    app.emitChange();
  });
  lobby.on("queue.left", ({ party }) => {
    if (!party) return;
    app.queue = null;
    toast("The party left the queue");
    app.emitChange();
  });
  lobby.on("party.rejoined", () => toast("Back in your party", "ok"));
  lobby.on("party.lost", () => {
    app.party = null;
    toast("Your party is gone", "error");
    app.emitChange();
  });
}

/** After the lobby connects: join the party of the invite link, once. */
export async function acceptInvite(app) {
  const code = app.invite;
  if (!code) return;
  app.invite = null;
  const url = new URL(location.href);
  url.searchParams.delete("party");
  history.replaceState(null, "", url);
  await join(app, code);
}

async function attempt(action, failed) {
  try {
    return await action();
  } catch (err) {
    toast(failed ? `${failed}: ${err.message}` : err.message, "error");
    return null;
  }
}

export function create(app) {
  return attempt(() => app.lobby.createParty(), "Cannot create a party");
}

export async function join(app, code) {
  const state = await attempt(() => app.lobby.joinParty(code), `Cannot join party ${code}`);
  if (state) toast(`You joined ${leaderName(state.party)}'s party`, "ok");
}

export function leave(app) {
  return attempt(() => app.lobby.leaveParty());
}

/** The leader starts `game` for the party plus `bots` bots (match.found navigates). */
export function start(app, game, bots = 0) {
  return attempt(() => app.lobby.startParty(game, bots), "Cannot start");
}

/** "Play against the computer": the party (of one, made now if need be) plus bots. */
export async function playBots(app, game) {
  if (!app.party && !(await create(app))) return;
  await start(app, game.name, botsFor(app, game));
}

function botsFor(app, game) {
  const members = app.party ? app.party.members.length : 1;
  return Math.max(1, game.min_players - members);
}

function leaderName(party) {
  return party.members.find((m) => m.id === party.leader)?.name || "the leader's";
}

function isLeader(app) {
  return app.party && app.party.leader === app.client.player.id;
}

/** The card of the lobby: make or join a party, or the party with its invite link. */
export function card(app) {
  if (!app.party) {
    const input = h("input", { id: "party-code-input", maxlength: "6", placeholder: "CODE", autocomplete: "off" });
    const joinIt = (event) => {
      event.preventDefault();
      if (input.value.trim()) join(app, input.value.trim().toUpperCase());
    };
    return h(
      "div",
      { class: "card party", id: "party" },
      h("h2", {}, "Play with friends"),
      h("p", { class: "muted small" }, "Make a party and send the link: you play private matches together, or queue together."),
      h(
        "div",
        { class: "row" },
        h("button", { class: "btn btn-primary", type: "button", id: "party-create", onclick: () => create(app) }, "Create a party"),
        h("form", { class: "row", onsubmit: joinIt }, input, h("button", { class: "btn btn-ghost", type: "submit", id: "party-join" }, "Join")),
      ),
    );
  }
  const party = app.party;
  const link = inviteLink(party.code);
  const copy = () =>
    navigator.clipboard?.writeText(link).then(
      () => toast("Invite link copied", "ok"),
      () => toast(link),
    );
  return h(
    "div",
    { class: "card party", id: "party", dataset: { code: party.code } },
    h("div", { class: "game-head" }, h("h2", {}, "Your party ", h("span", { class: "party-code", id: "party-code" }, party.code)), h("button", { class: "btn btn-ghost btn-small", type: "button", id: "party-leave", onclick: () => leave(app) }, "Leave")),
    h("div", { class: "row" }, h("input", { id: "party-link", readonly: true, value: link, onfocus: (e) => e.target.select() }), h("button", { class: "btn btn-small", type: "button", id: "party-copy", onclick: copy }, "Copy link")),
    h(
      "ul",
      { class: "party-members", id: "party-members" },
      party.members.map((m) =>
        h("li", { class: "chip" }, m.name, m.id === app.client.player.id ? " (you)" : "", m.id === party.leader ? h("span", { class: "muted small" }, " · leads") : null),
      ),
    ),
    h("p", { class: "muted small" }, isLeader(app) ? "Pick a game below: play it together, queue together for others to join, or add bots." : `${leaderName(party)} picks the game.`),
  );
}

/** The buttons of a game card that parties and bots add. */
export function cardActions(app, game) {
  const buttons = [];
  const members = app.party ? app.party.members.length : 1;
  const busy = Boolean(app.queue);
  if (app.party && !isLeader(app)) return [h("span", { class: "muted small" }, `${leaderName(app.party)} picks the game`)];
  if (app.party && members >= 2 && members <= game.max_players) {
    const bots = Math.max(0, game.min_players - members);
    buttons.push(h("button", { class: "btn btn-primary", type: "button", disabled: busy, dataset: { testid: `party-start-${game.name}` }, onclick: () => start(app, game.name, bots) }, "Play together"));
  }
  if (app.party && members < game.max_players) {
    const queue = () => attempt(() => app.lobby.queueParty(game.name), "Cannot queue");
    const label = members > 1 ? "Queue together" : "Play";
    buttons.push(h("button", { class: `btn ${members > 1 ? "btn-ghost" : "btn-primary"}`, type: "button", disabled: busy, dataset: { testid: `party-queue-${game.name}` }, onclick: queue }, label));
  }
  if (members + botsFor(app, game) <= game.max_players) {
    buttons.push(h("button", { class: "btn btn-ghost", type: "button", disabled: busy, dataset: { testid: `bots-${game.name}` }, onclick: () => playBots(app, game) }, "Play against the computer"));
  }
  return buttons;
}

/**
 * "Play again" after a match: a party's leader starts the same game again (seats move
 * on one place), the other members wait for that; a match against bots starts another.
 * Returns false when the match was neither (then the caller queues again).
 */
export async function playAgain(app, found, players) {
  const bots = players.filter((p) => p.bot).length;
  if (!found?.party && !bots) return false;
  if (app.party && !isLeader(app)) {
    toast(`Waiting for ${leaderName(app.party)} to start again`);
    return true;
  }
  if (!app.party) await create(app);
  await start(app, found.game, bots);
  return true;
}
