/* The admin's match replay: scrub, step or play through states rebuilt by the game's rules.
 * Frames come from <script id="replay-frames">; each game has a small drawing function.
 * Player names are user input, so everything is built with textContent, never innerHTML. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var COLOURS = ["#2a7ab0", "#e08e0b", "#3a9d5d", "#8e44ad", "#16a085", "#7f8c8d", "#d35400", "#c0392b"];
  var info = JSON.parse(document.getElementById("replay-info").textContent);
  var frames = JSON.parse(document.getElementById("replay-frames").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var slider = $("replay-slider"), playButton = $("replay-play"), board = $("replay-board");
  var step = 0, timer = null;

  function node(tag, attrs, text, ns) {
    var el = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) el.textContent = String(text);
    return el;
  }

  function who(seat) { return "seat " + seat + " (" + (info.players[seat] || "?") + ")"; }

  function table(head, rows) {
    var t = node("table"), tr = node("tr");
    head.forEach(function (h) { tr.appendChild(node("th", {}, h)); });
    t.appendChild(node("thead")).appendChild(tr);
    var body = t.appendChild(node("tbody"));
    rows.forEach(function (row) {
      var r = body.appendChild(node("tr"));
      row.forEach(function (cell) { r.appendChild(node("td", {}, cell)); });
    });
    return t;
  }

  var draw = {
    tictactoe: function (state, frame) {
      var grid = node("div", { "class": "ttt" });
      state.board.forEach(function (mark, cell) {
        var last = frame.move && frame.move.cell === cell;
        grid.appendChild(node("div", { "class": "cell" + (last ? " last" : "") }, mark || ""));
      });
      board.appendChild(grid);
      board.appendChild(node("p", {}, "To move: " + who(state.turn)));
    },
    tag: function (state) {
      var svg = node("svg", { viewBox: "-25 -25 850 650", "class": "arena" }, null, SVG);  // room for edge labels
      svg.appendChild(node("rect", { x: 0, y: 0, width: 800, height: 600, "class": "floor" }, null, SVG));
      state.players.forEach(function (p) {
        var it = p.seat === state.it, safe = state.immune && state.immune.seat === p.seat;
        var attrs = { cx: p.x, cy: p.y, r: 10, fill: COLOURS[p.seat % COLOURS.length],
          "class": (it ? "it" : "") + (safe ? " immune" : "") };
        svg.appendChild(node("circle", attrs, null, SVG));
        var label = (it ? "IT " : "") + (info.players[p.seat] || p.seat);
        svg.appendChild(node("text", { x: p.x + 14, y: p.y - 12, "class": it ? "it" : "" }, label, SVG));
      });
      board.appendChild(svg);
      board.appendChild(node("p", {}, "Tick " + state.tick + ", " + state.remaining_s + " s left; it: " + who(state.it)));
      board.appendChild(table(["seat", "player", "x", "y", "time as it (s)"], state.players.map(function (p) {
        return [p.seat, info.players[p.seat] || "?", p.x, p.y, state.it_s[p.seat]];
      })));
    },
    rps: function (state) {
      board.appendChild(node("p", { "class": "score" },
        (info.players[0] || "seat 0") + " " + state.score[0] + " : " + state.score[1] + " " + (info.players[1] || "seat 1")));
      var rows = state.history.map(function (round, i) {
        var winner = round.winner === null ? "tie" : who(round.winner);
        return [i + 1, round.choices[0], round.choices[1], winner];
      });
      var open = state.choices.map(function (c) { return c === null ? "-" : c + " (secret)"; });
      if (open[0] !== "-" || open[1] !== "-") rows.push([state.history.length + 1, open[0], open[1], "in play"]);
      board.appendChild(table(["round", who(0), who(1), "winner"], rows));
    }
  };

  function show(n) {
    step = Math.max(0, Math.min(frames.length - 1, n));
    var frame = frames[step];
    slider.value = step;
    $("replay-counter").textContent = "Step " + step + " / " + (frames.length - 1);
    $("replay-caption").textContent = frame.caption;
    $("replay-state").textContent = JSON.stringify(frame.state, null, 1);
    board.replaceChildren();
    if (draw[info.game]) draw[info.game](frame.state, frame);
    if (step === frames.length - 1) pause();
  }

  function pause() {
    clearInterval(timer);
    timer = null;
    playButton.textContent = "Play";
  }

  function play() {
    if (step === frames.length - 1) show(0);
    timer = setInterval(function () { show(step + 1); }, info.interval_ms);
    playButton.textContent = "Pause";
  }

  $("replay-prev").addEventListener("click", function () { pause(); show(step - 1); });
  $("replay-next").addEventListener("click", function () { pause(); show(step + 1); });
  playButton.addEventListener("click", function () { if (timer) pause(); else play(); });
  slider.addEventListener("input", function () { pause(); show(Number(slider.value)); });
  document.addEventListener("keydown", function (event) {
    var keys = { ArrowLeft: step - 1, ArrowRight: step + 1, Home: 0, End: frames.length - 1 };
    if (event.key in keys) {
      event.preventDefault();
      pause();
      show(keys[event.key]);
    } else if (event.key === " " && event.target.tagName !== "BUTTON") {
      event.preventDefault();
      if (timer) pause(); else play();
    }
  });
  show(0);
})();
