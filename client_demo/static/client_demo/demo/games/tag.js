// Tag on a canvas: the server sends positions 20 times a second; the canvas draws at
// the display's rate, interpolating between the two server snapshots around a render
// time kept INTERP_MS behind the newest one. Arrows or WASD move the player.

import { clock, h, mount, nameOf } from "../dom.js";

export const title = "Tag";
export const blurb = "Real time, 20 ticks a second. Don't be it when time runs out.";

const WIDTH = 800;
const HEIGHT = 600;
const RADIUS = 10;
const INTERP_MS = 100; // two ticks: there is almost always a snapshot on each side
const COLORS = ["#4f46e5", "#0ea5e9", "#10b981", "#f59e0b", "#ec4899", "#8b5cf6", "#14b8a6", "#f97316"];
const KEYS = {
  ArrowLeft: [-1, 0], KeyA: [-1, 0],
  ArrowRight: [1, 0], KeyD: [1, 0],
  ArrowUp: [0, -1], KeyW: [0, -1],
  ArrowDown: [0, 1], KeyS: [0, 1],
};

/** Keeps server snapshots and answers "where is everyone at server time t?". */
class Interpolator {
  constructor() {
    this.snapshots = [];
    this.offset = null; // Date.now() - server t, the smallest seen lately (least delay)
  }

  push(state, t) {
    const stamp = typeof t === "number" ? t : Date.now();
    const sample = Date.now() - stamp;
    if (this.offset === null || sample < this.offset) this.offset = sample;
    else this.offset += (sample - this.offset) * 0.02; // drift up slowly after a spike
    this.snapshots.push({ t: stamp, state });
    if (this.snapshots.length > 40) this.snapshots.shift();
  }

  reset() {
    this.snapshots = [];
  }

  positions() {
    const snaps = this.snapshots;
    if (snaps.length === 0) return null;
    const target = Date.now() - this.offset - INTERP_MS;
    let i = snaps.length - 1;
    while (i > 0 && snaps[i - 1].t > target) i -= 1;
    const b = snaps[i];
    const a = i > 0 ? snaps[i - 1] : b;
    const span = b.t - a.t;
    const k = span > 0 ? Math.min(Math.max((target - a.t) / span, 0), 1) : 1;
    const before = new Map(a.state.players.map((p) => [p.seat, p]));
    return b.state.players.map((p) => {
      const q = before.get(p.seat) || p;
      return { seat: p.seat, x: q.x + (p.x - q.x) * k, y: q.y + (p.y - q.y) * k };
    });
  }
}

export function create(root, ctx) {
  const canvas = h("canvas", { class: "tag-canvas", width: WIDTH, height: HEIGHT, tabindex: "0" });
  const timer = h("span", { class: "tag-timer" }, "1:00");
  const itLabel = h("span", { class: "tag-it" });
  const legend = h("div", { class: "tag-legend" });
  const help =
    ctx.mode === "play"
      ? h("p", { class: "muted tag-help" }, "Move with the arrow keys or WASD. Tag someone to pass on being it.")
      : null;
  mount(root, h("div", { class: "tag" }, h("div", { class: "tag-hud" }, itLabel, timer), h("div", { class: "tag-stage" }, canvas), legend, help));

  const g = canvas.getContext("2d");
  const interp = new Interpolator();
  let latest = null;
  let status = null;
  let frame = 0;
  const pressed = new Set();
  let sent = "0,0";

  function resize() {
    const ratio = window.devicePixelRatio || 1;
    canvas.width = WIDTH * ratio;
    canvas.height = HEIGHT * ratio;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
  }

  function direction() {
    let dx = 0;
    let dy = 0;
    for (const code of pressed) {
      dx += KEYS[code][0];
      dy += KEYS[code][1];
    }
    return [Math.sign(dx), Math.sign(dy)];
  }

  function sendInput() {
    if (ctx.mode !== "play" || status !== "active") return;
    const [dx, dy] = direction();
    const key = `${dx},${dy}`;
    if (key === sent) return;
    try {
      ctx.input({ dx, dy });
      sent = key;
    } catch {
      // not connected right now: the next key event tries again
    }
  }

  function onKey(event) {
    if (!(event.code in KEYS) || event.target.closest?.("input, textarea")) return;
    event.preventDefault();
    if (event.type === "keydown") pressed.add(event.code);
    else pressed.delete(event.code);
    sendInput();
  }

  function onBlur() {
    pressed.clear();
    sendInput();
  }

  function drawArena() {
    g.fillStyle = "#f8fafc";
    g.fillRect(0, 0, WIDTH, HEIGHT);
    g.strokeStyle = "#e2e8f0";
    g.lineWidth = 1;
    for (let x = 50; x < WIDTH; x += 50) line(x, 0, x, HEIGHT);
    for (let y = 50; y < HEIGHT; y += 50) line(0, y, WIDTH, y);
  }

  function line(x1, y1, x2, y2) {
    g.beginPath();
    g.moveTo(x1, y1);
    g.lineTo(x2, y2);
    g.stroke();
  }

  function drawPlayer(p, state) {
    const isIt = p.seat === state.it;
    const immune = state.immune && state.immune.seat === p.seat;
    if (isIt) {
      g.beginPath();
      g.arc(p.x, p.y, RADIUS + 8, 0, Math.PI * 2);
      g.fillStyle = "rgba(239, 68, 68, 0.22)";
      g.fill();
    }
    g.beginPath();
    g.arc(p.x, p.y, RADIUS, 0, Math.PI * 2);
    g.fillStyle = COLORS[p.seat % COLORS.length];
    g.globalAlpha = immune ? 0.55 : 1;
    g.fill();
    g.globalAlpha = 1;
    g.lineWidth = p.seat === ctx.seat ? 3 : 1.5;
    g.strokeStyle = isIt ? "#ef4444" : p.seat === ctx.seat ? "#0f172a" : "#ffffff";
    g.stroke();
    g.fillStyle = "#0f172a";
    g.font = "600 12px system-ui, sans-serif";
    g.textAlign = "center";
    const label = (p.seat === ctx.seat ? "you" : nameOf(ctx.players, p.seat)) + (isIt ? " · IT" : "");
    g.fillText(label, p.x, p.y - RADIUS - 8);
  }

  function draw() {
    frame = requestAnimationFrame(draw);
    if (!latest) return;
    const players = (ctx.mode === "replay" ? latest.players : interp.positions()) || latest.players;
    drawArena();
    for (const p of players) drawPlayer(p, latest);
  }

  function drawHud() {
    timer.textContent = clock(Math.ceil(latest.remaining_s ?? 0));
    const itName = latest.it === ctx.seat ? "You are it!" : `${nameOf(ctx.players, latest.it)} is it`;
    itLabel.textContent = itName;
    itLabel.classList.toggle("me", latest.it === ctx.seat);
    const times = latest.it_s || [];
    mount(
      legend,
      latest.players.map((p) =>
        h(
          "span",
          { class: "tag-chip" },
          h("i", { style: `background:${COLORS[p.seat % COLORS.length]}` }),
          `${nameOf(ctx.players, p.seat)}${p.seat === ctx.seat ? " (you)" : ""}`,
          times.length ? h("span", { class: "muted" }, ` ${(times[p.seat] ?? 0).toFixed(1)} s it`) : null,
        ),
      ),
    );
  }

  resize();
  drawArena();
  window.addEventListener("keydown", onKey);
  window.addEventListener("keyup", onKey);
  window.addEventListener("blur", onBlur);
  frame = requestAnimationFrame(draw);

  return {
    render(state, info) {
      if (info.source === "snapshot" || info.source === "seek") interp.reset();
      latest = state;
      status = info.status;
      interp.push(state, info.t);
      canvas.dataset.tick = String(state.tick);
      canvas.dataset.positions = JSON.stringify(state.players.map((p) => [p.seat, p.x, p.y]));
      drawHud();
      if (status !== "active") pressed.clear();
    },
    hint() {
      if (!latest) return null;
      if (ctx.mode !== "play") return { state: "spectating", text: "Watching live" };
      return latest.it === ctx.seat
        ? { state: "playing", text: "You are it: tag someone!" }
        : { state: "playing", text: "Run! Don't get tagged." };
    },
    destroy() {
      cancelAnimationFrame(frame);
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("keyup", onKey);
      window.removeEventListener("blur", onBlur);
    },
  };
}
