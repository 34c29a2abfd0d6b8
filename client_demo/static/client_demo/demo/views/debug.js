// The debug panel of a match page (`?debug=1`): the state, every frame with its seq and
// time, the round trip, a form to send any move or input, and stepping back through
// the states seen so far. For game developers; players never see it.

import { h, mount, pretty } from "../dom.js";

const MAX_FRAMES = 200;
const PING_EVERY_MS = 2000;

/** True when the page was opened with `?debug=1`. */
export function wanted() {
  return new URLSearchParams(location.search).get("debug") === "1";
}

/** Shows the panel below `container` for `match`; returns a function that removes it. */
export function attach(container, match) {
  const began = performance.now();
  const frames = []; // {at, dir, type, seq}
  const states = []; // {seq, status, state}, in the order they arrived
  let viewing = null; // index into states, or null to follow the newest

  const rtt = h("span", { id: "debug-rtt" }, "–");
  const where = h("span", { id: "debug-where" });
  const step = h("input", { type: "range", id: "debug-step", min: 0, max: 0, value: 0 });
  const stateBox = h("pre", { id: "debug-state", class: "debug-state" });
  const log = h("tbody", { id: "debug-log" });
  const kind = h("select", { id: "debug-kind" }, ...["move", "input", "raw"].map((k) => h("option", { value: k }, k)));
  const text = h("textarea", { id: "debug-move", rows: 3, spellcheck: "false", placeholder: '{"cell": 4}' });
  const result = h("div", { id: "debug-result", class: "debug-result" });

  const panel = h(
    "details",
    { class: "debug-panel", id: "debug-panel", open: true },
    h("summary", {}, "Debug ", h("small", {}, "round trip "), rtt, h("small", {}, " ms")),
    h(
      "div",
      { class: "debug-grid" },
      h(
        "div",
        {},
        h("h3", {}, "State ", where),
        h(
          "div",
          { class: "debug-steps" },
          h("button", { type: "button", class: "btn btn-ghost", id: "debug-back", onclick: () => moveBy(-1) }, "◀"),
          step,
          h("button", { type: "button", class: "btn btn-ghost", id: "debug-forward", onclick: () => moveBy(1) }, "▶"),
          h("button", { type: "button", class: "btn btn-ghost", id: "debug-live", onclick: () => show(null) }, "Live"),
        ),
        stateBox,
        h("h3", {}, "Send"),
        h("div", { class: "debug-send" }, kind, text),
        h("button", { type: "button", class: "btn btn-primary", id: "debug-send", onclick: sendIt }, "Send"),
        result,
      ),
      h(
        "div",
        {},
        h("h3", {}, "Frames"),
        h(
          "div",
          { class: "debug-log" },
          h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "ms"), h("th", {}, ""), h("th", {}, "type"), h("th", {}, "seq"))), log),
        ),
      ),
    ),
  );
  container.append(panel);

  function record(dir, message) {
    frames.push({ at: performance.now() - began, dir, type: message.type, seq: message.seq });
    if (frames.length > MAX_FRAMES) frames.shift();
    const row = (f) => h("tr", { class: `debug-${f.dir}` }, h("td", {}, f.at.toFixed(0)), h("td", {}, f.dir === "in" ? "←" : "→"), h("td", {}, f.type), h("td", {}, f.seq ?? ""));
    mount(log, frames.slice(-40).reverse().map(row));
  }

  function show(index) {
    viewing = index;
    const at = index ?? states.length - 1;
    const entry = states[at];
    step.max = Math.max(0, states.length - 1);
    step.value = at;
    if (!entry) return;
    const live = index === null || index === states.length - 1;
    where.textContent = live ? `seq ${entry.seq} (live)` : `seq ${entry.seq} (${states.length - 1 - at} back; live is ${states.at(-1).seq})`;
    stateBox.textContent = pretty(entry.state);
  }

  function moveBy(delta) {
    const at = (viewing ?? states.length - 1) + delta;
    show(Math.max(0, Math.min(states.length - 1, at)));
  }

  step.addEventListener("input", () => show(Number(step.value)));

  async function sendIt() {
    let value;
    try {
      value = JSON.parse(text.value || "{}");
    } catch (err) {
      result.textContent = `not JSON: ${err.message}`;
      return;
    }
    result.textContent = "…";
    try {
      if (kind.value === "move") {
        const ack = await match.move(value);
        result.textContent = ack ? `ack, seq ${ack.seq}` : "applied: the match is over";
      } else if (kind.value === "input") {
        match.input(value);
        result.textContent = "sent (inputs get no reply)";
      } else {
        match.send(value);
        result.textContent = "sent";
      }
    } catch (err) {
      result.textContent = `${err.code}: ${err.message}`;
    }
  }

  const send = match.send.bind(match);
  match.send = (message) => {
    send(message);
    record("out", message);
  };
  const offs = [
    match.on("message", (message) => record("in", message)),
    match.on("state", (info) => {
      states.push({ seq: info.seq, status: info.status, state: info.state });
      if (viewing === null) show(null);
      else step.max = states.length - 1;
    }),
  ];
  const pinger = setInterval(async () => {
    if (!match.connected) return;
    try {
      rtt.textContent = (await match.ping()).toFixed(1);
    } catch {
      rtt.textContent = "–";
    }
  }, PING_EVERY_MS);

  return () => {
    clearInterval(pinger);
    for (const off of offs) off();
    match.send = send;
    panel.remove();
  };
}
