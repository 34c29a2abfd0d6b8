// Small DOM helpers shared by the demo's views. No framework: elements are built
// with h() and views redraw the parts that change.

/** h("div", {class: "card", onclick: fn}, child, ...) -> HTMLElement */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "text") {
      el.textContent = value;
    } else {
      el.setAttribute(key, value === true ? "" : value);
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces every child of `el`. */
export function mount(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
  return el;
}

/** A short-lived message in the corner; kind is "info", "ok" or "error". */
export function toast(text, kind = "info") {
  const box = document.getElementById("toasts");
  const item = h("div", { class: `toast toast-${kind}` }, text);
  box.append(item);
  setTimeout(() => item.classList.add("toast-out"), 3200);
  setTimeout(() => item.remove(), 3700);
}

/** Send one move with the board held still (busy) until the server answers; a refusal
 * becomes a toast. setBusy(true) before, setBusy(false) after, whatever happens. */
export async function moveWhileBusy(ctx, move, setBusy) {
  setBusy(true);
  try {
    await ctx.move(move);
  } catch (err) {
    toast(err.message, "error");
  } finally {
    setBusy(false);
  }
}

/** "just now", "5 min ago", "3 h ago", or a date. */
export function ago(iso) {
  if (!iso) return "";
  const seconds = (Date.now() - new Date(iso).getTime()) / 1000;
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

/** m:ss */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** The display name of `seat` among `players` ([{seat, name}]). */
export function nameOf(players, seat) {
  const p = (players || []).find((x) => x.seat === seat);
  return p ? p.name : `Player ${seat + 1}`;
}

/** JSON with two-space indents, but arrays of plain values kept on one line. */
export function pretty(value, indent = "") {
  const inner = indent + "  ";
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== "object")) return `[${value.map((v) => JSON.stringify(v)).join(", ")}]`;
    return `[\n${value.map((v) => inner + pretty(v, inner)).join(",\n")}\n${indent}]`;
  }
  if (value && typeof value === "object") {
    const rows = Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pretty(v, inner)}`);
    return rows.length ? `{\n${rows.join(",\n")}\n${indent}}` : "{}";
  }
  return JSON.stringify(value);
}
