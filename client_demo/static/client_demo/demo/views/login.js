// Pick a name: becomes a guest player (POST /api/guest) for this tab.

import { h, mount } from "../dom.js";

const SUGGESTIONS = ["Ada", "Grace", "Linus", "Alan", "Barbara", "Ken", "Margaret", "Dennis"];

export function create(root, app) {
  const input = h("input", {
    id: "name",
    name: "name",
    maxlength: "40",
    autocomplete: "off",
    placeholder: SUGGESTIONS[Math.floor(Math.random() * SUGGESTIONS.length)],
    required: true,
  });
  const error = h("p", { class: "form-error", role: "alert" });
  const button = h("button", { class: "btn btn-primary", type: "submit" }, "Let's play");
  const form = h(
    "form",
    { id: "login-form", class: "card login", onsubmit: submit },
    h("h1", {}, "Welcome to the Arcade"),
    h("p", { class: "muted" }, "Pick a name to play tic-tac-toe, tag and rock paper scissors against other people or the computer, or watch them play."),
    app.invite ? h("p", { class: "invite", id: "invite-note" }, `You are invited to party ${app.invite}: pick a name to join it.`) : null,
    h("label", { for: "name" }, "Your name"),
    h("div", { class: "row" }, input, button),
    error,
  );
  mount(root, h("section", { class: "view view-login" }, form));
  input.focus();

  async function submit(event) {
    event.preventDefault();
    const name = input.value.trim() || input.placeholder;
    button.disabled = true;
    error.textContent = "";
    try {
      await app.login(name);
      app.go(location.hash || "#/"); // a shared #/match/<id> link still opens
    } catch (err) {
      error.textContent = err.message;
      button.disabled = false;
    }
  }

  return { destroy() {} };
}
