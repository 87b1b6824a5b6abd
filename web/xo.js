// xo in a browser: one player's page, speaking PROTOCOL.md over one WebSocket.
//
// The address says what to do on load:
//   ?join=GAME_ID           join that game as o (the link a player shares);
//   ?game=GAME_ID&mark=M    a seat this browser holds: resume it (the token is in
//                           localStorage, never in a link); without it, join;
//   nothing                 start a new game as x.
// The WebSocket URL comes from config.json beside the page ({"websocketUrl": ...}),
// written by `xo web` locally and by the Pulumi stack on AWS.
"use strict";

(() => {
  const CONFIG_URL = "config.json";
  const SEAT_PREFIX = "xo.seat.";
  const SEAT_MAX_AGE_MS = 30 * 24 * 3600 * 1000;
  const RECONNECT_DELAYS_MS = [250, 1000, 2000, 4000, 8000];
  const KEEPALIVE_MS = 5 * 60 * 1000; // API Gateway closes a connection after 10 idle minutes
  const MOVE_ANSWER_MS = 10 * 1000; // no answer to a move by then: ask the server for the game
  const OPPONENT_STATES = ["waiting", "here", "away"];
  // Turn clock (PROTOCOL.md): the waiting player claims the win once the opponent's time is up,
  // a little after it by our clock (a move sent at the last moment arrives first), and again
  // a few times if the server says the time is not quite up yet.
  const CLAIM_GRACE_MS = 1000;
  const CLAIM_RETRY_MS = 2000;
  const CLAIM_TRIES = 5;
  const CLOCK_LOW_S = 5;
  const LINES = [
    [0, 1, 2], [3, 4, 5], [6, 7, 8],
    [0, 3, 6], [1, 4, 7], [2, 5, 8],
    [0, 4, 8], [2, 4, 6],
  ];
  // What the status adds after a game's end, by where a rematch stands (s.rematch).
  const REMATCH_TEXT = {
    asked: " Asked your opponent for a rematch…",
    offered: " Your opponent asks for a rematch.",
    declined: " Your opponent declined the rematch.",
    refused: " You declined the rematch.",
    accepted: " Starting the rematch…",
  };
  // Errors after which this page cannot carry on with the game it was asked for.
  const FINAL_ERRORS = new Set(["game_not_found", "game_full", "not_a_player"]);

  // ---- pure helpers -------------------------------------------------------------------------

  const upper = (mark) => (mark ? mark.toUpperCase() : "");
  const other = (mark) => (mark === "x" ? "o" : "x");
  const marks = (board) => board.filter((cell) => cell !== " ").length;

  function winningLine(board) {
    return LINES.find(([a, b, c]) => board[a] !== " " && board[a] === board[b] && board[b] === board[c]) || null;
  }

  function cellLabel(index, cell) {
    const where = `Row ${Math.floor(index / 3) + 1}, column ${(index % 3) + 1}`;
    return `${where}: ${cell === " " ? "empty" : upper(cell)}`;
  }

  // The sentence the status line shows for a game state (errors come in front of it).
  function statusText(s) {
    switch (s.phase) {
      case "loading": return "Loading…";
      case "connecting": return "Connecting to the game server…";
      case "reconnecting": return "Connection lost: reconnecting…";
      case "failed": return s.failure;
      case "over":
        return `${overText(s)}${REMATCH_TEXT[s.rematch] || ""}`;
      default:
        break;
    }
    if (s.opponent === "waiting") return `Waiting for an opponent: share the join link. You play ${upper(s.mark)}.`;
    const gone = s.awayAtJoin ? "Your opponent is away" : "Your opponent left";
    const away = s.opponent === "away" ? `${gone}; the game waits for them to come back. ` : "";
    if (s.resigning) return "Resigning…";
    if (s.pending !== null) return `${away}Sending your move…`;
    if (s.next === s.mark) return `${away}Your turn: you play ${upper(s.mark)}.`;
    return `${away}Their turn: waiting for ${upper(s.next)}.`;
  }

  // The line under the status in a game with a clock: whose time runs, and how much is left.
  function clockText(s, now) {
    if (!s.clock || s.phase !== "playing" || !s.next) return "";
    const left = Math.max(0, Math.ceil((s.clock.deadline - now) / 1000));
    const who = s.next === s.mark ? "Your time" : `${upper(s.next)}'s time`;
    if (left > 0) return `${who}: ${left} s left.`;
    return s.next === s.mark ? "Your time is up." : `${who} is up: claiming the win…`;
  }

  // How the game ended, for the player at this page.
  function overText(s) {
    const won = s.winner === s.mark;
    if (s.loser) {
      const how = s.resigned ? "resigned" : "ran out of time";
      return won ? `Your opponent ${how}: you won as ${upper(s.mark)}!` : `You ${how}: ${upper(s.winner)} won.`;
    }
    if (s.winner === "draw") return "Draw: nobody won.";
    return won ? `You won as ${upper(s.mark)}!` : `You lost: ${upper(s.winner)} won.`;
  }

  // ---- the browser's storage: one seat (token) per game and mark ------------------------------

  const seatKey = (id, mark) => `${SEAT_PREFIX}${id}.${mark}`;

  function loadSeat(id, mark) {
    try {
      const seat = JSON.parse(localStorage.getItem(seatKey(id, mark)) || "null");
      return seat && typeof seat.token === "string" ? seat : null;
    } catch (_) {
      return null;
    }
  }

  function saveSeat(id, mark, token) {
    try {
      localStorage.setItem(seatKey(id, mark), JSON.stringify({ token, savedAt: Date.now() }));
      return true;
    } catch (_) {
      return false; // storage off or full: the game goes on, but a reload cannot resume it
    }
  }

  function forgetSeat(id, mark) {
    try { localStorage.removeItem(seatKey(id, mark)); } catch (_) { /* nothing to forget */ }
  }

  function pruneSeats() {
    try {
      for (let i = localStorage.length - 1; i >= 0; i -= 1) {
        const key = localStorage.key(i);
        if (!key || !key.startsWith(SEAT_PREFIX)) continue;
        let seat = null;
        try { seat = JSON.parse(localStorage.getItem(key)); } catch (_) { /* dropped below */ }
        if (!seat || !(Date.now() - seat.savedAt < SEAT_MAX_AGE_MS)) localStorage.removeItem(key);
      }
    } catch (_) { /* storage off */ }
  }

  // ---- state ------------------------------------------------------------------------------------

  const s = {
    phase: "loading", // loading, connecting, reconnecting, playing, over, failed
    websocketUrl: null,
    request: null, // what the address asked for: {kind: "start"} or {kind: "join", id}
    gameId: null,
    mark: null,
    token: null,
    board: Array(9).fill(" "), // the server's board
    next: "x",
    winner: null,
    loser: null, // the mark that resigned or ran out of time, once the server says so
    resigned: false, // the loser resigned (else it ran out of time)
    lastTile: null,
    clock: null, // in a game with a clock: {deadline (performance.now() ms), claimAt, claims}
    opponent: "unknown", // unknown, waiting, here, away
    awayAtJoin: false, // away already when we joined (we never saw them leave)
    pending: null, // index of our move sent and not yet confirmed
    notice: "", // the last refusal or hint, shown before the status
    failure: "",
    canRetry: false,
    retryLabel: "Try again",
    resuming: false, // a `resume` is in flight: its `state` is the whole truth
    rematch: null, // after the end: null, asked, offered, accepted, declined (by them), refused (by us), closed
    confirmingResign: false, // Resign pressed: the page asks before it sends anything
    resigning: false, // `resign` sent: waiting for the server's `resigned`
  };
  let socket = null;
  let attempts = 0;
  let connectedOnce = false;
  let keepalive = null;
  let moveTimer = null;
  let clockTicker = null;
  let refocus = false; // a control that had the focus went away: give it to the next one
  let early = null; // a `play` for another game id: the rematch's first move, if it came first
  let focusIndex = 4;
  let boardReadyMarked = false;

  const el = {
    status: document.getElementById("status"),
    clock: document.getElementById("clock"),
    board: document.getElementById("board"),
    help: document.getElementById("board-help"),
    cells: Array.from(document.querySelectorAll(".cell")),
    share: document.getElementById("share"),
    shareLink: document.getElementById("share-link"),
    shareCopy: document.getElementById("share-copy"),
    shareNote: document.getElementById("share-note"),
    retry: document.getElementById("retry"),
    resign: document.getElementById("resign"),
    rematch: document.getElementById("rematch"),
    rematchDecline: document.getElementById("rematch-decline"),
    resignConfirm: document.getElementById("resign-confirm"),
    resignYes: document.getElementById("resign-yes"),
    resignNo: document.getElementById("resign-no"),
    newGame: document.getElementById("new-game"),
  };

  // ---- drawing ----------------------------------------------------------------------------------

  function shownBoard() {
    const board = s.board.slice();
    if (s.pending !== null) board[s.pending] = s.mark;
    return board;
  }

  function myTurn() {
    return s.phase === "playing" && s.pending === null && !s.resigning && s.next === s.mark && s.opponent !== "waiting";
  }

  // Both players are in and the game is on: there is someone to resign to (PROTOCOL.md).
  function canResign() {
    return s.phase === "playing" && s.opponent !== "waiting" && s.opponent !== "unknown"
      && s.pending === null && !s.resigning;
  }

  function render() {
    const had = document.activeElement;
    const board = shownBoard();
    const line = s.phase === "over" ? winningLine(board) : null;
    el.cells.forEach((cell, index) => {
      const mark = board[index];
      cell.textContent = upper(mark === " " ? "" : mark);
      cell.setAttribute("aria-label", cellLabel(index, mark));
      cell.setAttribute("aria-disabled", String(!(myTurn() && mark === " ")));
      cell.tabIndex = index === focusIndex ? 0 : -1;
      cell.classList.toggle("x", mark === "x");
      cell.classList.toggle("o", mark === "o");
      cell.classList.toggle("pending", index === s.pending);
      cell.classList.toggle("last", index === s.lastTile && s.phase !== "over");
      cell.classList.toggle("win", Boolean(line && line.includes(index)));
    });
    // The timer line is not announced (role=timer); the status says once when time runs short.
    const hurry = myTurn() && s.clock && s.clock.deadline - performance.now() < CLOCK_LOW_S * 1000;
    const text = [s.notice, statusText(s), hurry ? "Your time is nearly up." : ""].filter(Boolean).join(" ");
    if (el.status.textContent !== text) el.status.textContent = text;
    renderClock();
    el.board.dataset.phase = s.phase;
    el.board.hidden = s.phase === "failed";
    el.help.hidden = s.phase === "failed" || s.phase === "over";
    el.board.dataset.mark = s.mark || "";
    el.share.hidden = !(s.gameId && s.mark === "x" && s.opponent === "waiting" && s.phase === "playing");
    if (s.gameId) el.shareLink.value = joinLink(s.gameId);
    if (!canResign()) s.confirmingResign = false;
    el.resign.hidden = !canResign() || s.confirmingResign;
    el.resignConfirm.hidden = !s.confirmingResign;
    el.rematch.hidden = !(s.phase === "over" && (s.rematch === null || s.rematch === "offered"));
    el.rematchDecline.hidden = !(s.phase === "over" && s.rematch === "offered");
    el.retry.hidden = !(s.phase === "failed" && s.canRetry);
    el.retry.textContent = s.retryLabel;
    el.newGame.hidden = !(s.phase === "over" || s.phase === "failed");
    keepFocus(had);
    if (!boardReadyMarked && s.phase === "playing") {
      boardReadyMarked = true;
      performance.mark("xo-board-ready");
    }
  }

  // Keyboard users must never be left focused on nothing when the button they pressed goes
  // away (Resign, Play again...): the focus moves to what comes next, as soon as there is one.
  function keepFocus(had) {
    if (had && had !== document.body && had.closest("[hidden]")) refocus = true;
    if (!refocus) return;
    const visible = (...elements) => elements.find((element) => !element.hidden) || null;
    let target = null;
    if (s.phase === "over") target = visible(el.rematch, el.newGame);
    else if (s.phase === "failed") target = visible(el.retry, el.newGame);
    else if (s.phase === "playing" && !s.resigning) target = el.cells[focusIndex];
    if (target) {
      refocus = false;
      target.focus();
    }
  }

  function renderClock() {
    const text = clockText(s, performance.now());
    if (el.clock.textContent !== text) el.clock.textContent = text;
    el.clock.hidden = !text;
    el.clock.classList.toggle("low", Boolean(s.clock) && s.clock.deadline - performance.now() < CLOCK_LOW_S * 1000);
  }

  // A `play` or `state` of a game with a clock says how long the player to move has left.
  function noteClock(m) {
    const remaining = m.clock && m.clock.remaining;
    if (!Number.isInteger(remaining) || s.phase !== "playing") return;
    const deadline = performance.now() + remaining * 1000;
    s.clock = { deadline, claimAt: deadline + CLAIM_GRACE_MS, claims: 0 };
    if (clockTicker === null) clockTicker = setInterval(tick, 1000);
  }

  function stopClock() {
    s.clock = null;
    if (clockTicker !== null) clearInterval(clockTicker);
    clockTicker = null;
  }

  function tick() {
    const c = s.clock;
    if (!c || s.phase !== "playing") {
      stopClock();
      render();
      return;
    }
    const theirs = s.next === other(s.mark) && s.opponent !== "waiting";
    if (theirs && performance.now() >= c.claimAt && c.claims < CLAIM_TRIES) {
      if (send({ type: "claim", id: s.gameId })) c.claims += 1; // answered by `timeout`
      c.claimAt = performance.now() + CLAIM_RETRY_MS;
    }
    render();
  }

  function joinLink(id) {
    return `${location.origin}${location.pathname}?join=${encodeURIComponent(id)}`;
  }

  function setAddress(id, mark) {
    history.replaceState(null, "", `${location.pathname}?game=${encodeURIComponent(id)}&mark=${mark}`);
  }

  function fail(message, canRetry, retryLabel) {
    s.phase = "failed";
    s.failure = message;
    s.notice = "";
    s.pending = null;
    s.canRetry = Boolean(canRetry);
    stopClock();
    s.retryLabel = retryLabel || "Try again";
    stopKeepalive();
    clearMoveTimer();
    render();
  }

  // ---- the connection ---------------------------------------------------------------------------

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  function hello() {
    s.resuming = Boolean(s.token);
    if (s.token) return { type: "resume", id: s.gameId, token: s.token, ack: true };
    if (s.request.kind === "join") return { type: "join", id: s.request.id, ack: true };
    return { type: "start", ack: true };
  }

  function connect() {
    s.phase = connectedOnce ? "reconnecting" : "connecting";
    render();
    let ws;
    try {
      ws = new WebSocket(s.websocketUrl);
    } catch (error) {
      fail(`The game server address in ${CONFIG_URL} is not usable: ${error.message}`, false);
      return;
    }
    socket = ws;
    ws.addEventListener("open", () => {
      attempts = 0;
      connectedOnce = true;
      performance.mark("xo-connected");
      send(hello());
      startKeepalive();
    });
    ws.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (_) {
        return; // not a frame of this protocol: nothing to show
      }
      if (message && typeof message === "object") handle(message);
      render();
    });
    ws.addEventListener("close", () => {
      if (socket !== ws) return;
      socket = null;
      stopKeepalive();
      clearMoveTimer();
      dropped();
    });
  }

  function dropped() {
    if (s.phase === "over" || s.phase === "failed") return;
    if (attempts < RECONNECT_DELAYS_MS.length) {
      const delay = RECONNECT_DELAYS_MS[attempts];
      attempts += 1;
      s.phase = connectedOnce ? "reconnecting" : "connecting";
      render();
      setTimeout(connect, delay);
      return;
    }
    fail(`Could not reach the game server at ${s.websocketUrl}.`, true);
  }

  // Delivery is best effort (PROTOCOL.md): when an answer is overdue, or a handler failed, the
  // whole game is asked for again; the `state` that answers says what became of our move.
  function resync() {
    clearMoveTimer();
    if (s.token && send({ type: "resume", id: s.gameId, token: s.token, ack: true })) s.resuming = true;
  }

  function clearMoveTimer() {
    if (moveTimer !== null) clearTimeout(moveTimer);
    moveTimer = null;
  }

  function startKeepalive() {
    stopKeepalive();
    keepalive = setInterval(() => send({ type: "ping" }), KEEPALIVE_MS);
  }

  function stopKeepalive() {
    if (keepalive !== null) clearInterval(keepalive);
    keepalive = null;
  }

  // ---- server messages ----------------------------------------------------------------------------

  function handle(m) {
    switch (m.type) {
      case "init":
        takeSeat(m.id, m.mark || "x", m.token);
        s.opponent = "waiting";
        s.phase = "playing";
        break;
      case "join":
        s.opponent = "here";
        if (m.token) {
          takeSeat(m.id, m.mark || "o", m.token); // our join was accepted
          // The creator's connection may have gone before we came: wait for `opponent_back`.
          s.awayAtJoin = m.opponent === "away";
          if (s.awayAtJoin) s.opponent = "away";
        }
        s.notice = "";
        s.phase = "playing";
        break;
      case "play":
        if (typeof m.id === "string" && s.gameId && m.id !== s.gameId) {
          // Not this game's: maybe a rematch's first move, overtaking the `rematch` that starts it.
          early = m;
          break;
        }
        clearMoveTimer();
        s.opponent = "here";
        s.lastTile = tileIndex(m.tile);
        s.notice = "";
        applyGame(m, false);
        noteClock(m);
        break;
      case "state": {
        // Our move confirmed (we ask for `ack`), or the whole game after a `resume`.
        clearMoveTimer();
        if (OPPONENT_STATES.includes(m.opponent)) s.opponent = m.opponent;
        else if (s.opponent === "unknown") s.opponent = "here"; // an older server does not say
        if (m.mark) s.mark = m.mark;
        if (s.resuming) s.resigning = false; // the whole game: if it goes on, our resign was lost
        if (m.loser === "x" || m.loser === "o") {
          s.loser = m.loser; // the game ended by a resignation or on time while we were away
          s.resigned = m.resigned === true;
        }
        const resuming = s.resuming;
        s.resuming = false;
        applyGame(m, resuming);
        noteClock(m);
        break;
      }
      case "resigned":
      case "timeout":
        // The game is settled: a player resigned (maybe us) or ran out of time.
        if (m.id !== s.gameId || (m.loser !== "x" && m.loser !== "o")) break;
        clearMoveTimer();
        applyGame(m, false);
        s.loser = m.loser;
        s.resigned = m.type === "resigned";
        s.resigning = false;
        s.winner = other(m.loser);
        s.next = null;
        s.pending = null;
        s.notice = "";
        s.phase = "over";
        stopKeepalive();
        stopClock();
        break;
      case "rematch_offer":
        if (m.id === s.gameId && s.phase === "over" && s.rematch === null) s.rematch = "offered";
        break;
      case "rematch_declined":
        if (m.id === s.gameId && s.phase === "over") s.rematch = "declined";
        break;
      case "rematch":
        // Both players said yes: a new game on this connection, marks swapped (PROTOCOL.md).
        if (m.previous !== s.gameId || typeof m.id !== "string" || typeof m.token !== "string") break;
        if (m.mark !== "x" && m.mark !== "o") break;
        startAgain(m.id, m.mark, m.token);
        break;
      case "opponent_left":
        if (s.opponent !== "waiting") s.opponent = "away";
        s.awayAtJoin = false;
        break;
      case "opponent_back":
        s.opponent = "here";
        s.awayAtJoin = false;
        break;
      case "error":
        refused(m.code, m.message || "The server refused that.");
        break;
      case "seat_taken":
        // Another tab or browser resumed this seat with our token: let it play, do not fight.
        if (socket) {
          const old = socket;
          socket = null;
          old.close();
        }
        fail("This game goes on in another tab or window.", true, "Play it here");
        break;
      case "pong":
        break;
      default:
        if (m.type === undefined && typeof m.message === "string") {
          // API Gateway's own frame: a handler failed ("Internal server error").
          refused("internal", `The server failed (${m.message}).`);
          resync();
        }
    }
  }

  function startAgain(id, mark, token) {
    forgetSeat(s.gameId, s.mark); // the finished game's seat is of no more use
    Object.assign(s, {
      board: Array(9).fill(" "), next: "x", winner: null, loser: null, resigned: false,
      lastTile: null, pending: null, opponent: "here", awayAtJoin: false, rematch: null,
      notice: "", phase: "playing",
    });
    takeSeat(id, mark, token);
    stopClock(); // a clock carries over: the first move's answer says how long is left
    const first = early;
    early = null;
    if (first && first.id === id) handle(first);
    startKeepalive();
  }

  function takeSeat(id, mark, token) {
    s.gameId = id;
    s.mark = mark;
    s.token = token;
    if (!saveSeat(id, mark, token)) s.notice = "This browser will not keep the game: a reload cannot resume it.";
    setAddress(id, mark);
  }

  function tileIndex(tile) {
    const match = /^([0-2]),([0-2])$/.exec(tile || "");
    return match ? Number(match[1]) * 3 + Number(match[2]) : null;
  }

  function applyGame(m, resuming) {
    if (!Array.isArray(m.board)) return;
    const board = [].concat(...m.board);
    if (board.length !== 9) return;
    // A confirmation can arrive after the opponent's answer to it: never go back, except when
    // the server gives the whole game back on resume (then it is the truth).
    if (!resuming && marks(board) < marks(s.board)) return;
    s.board = board;
    s.next = m.next || null;
    s.winner = m.winner || null;
    if (s.pending !== null && (board[s.pending] !== " " || s.next !== s.mark)) s.pending = null;
    if (resuming) s.pending = null; // not on the board: the player chooses again
    if (s.winner) {
      s.phase = "over";
      stopKeepalive();
      stopClock();
    } else {
      s.phase = "playing";
    }
  }

  function refused(code, message) {
    if (code === "clock_running") return; // our claim came a little early: tick() tries again
    s.pending = null; // a refusal of our move: the board has not moved
    s.resuming = false;
    s.resigning = false; // refused (game_over: the frame that says how the game ended follows)
    if (s.phase === "over" && code === "game_over") return; // a late move: the status says how it ended
    if (code === "no_rematch") s.rematch = "closed"; // declined already, or not to be had
    else if (s.rematch === "asked") s.rematch = null; // nothing stored: the player may ask again
    else if (s.rematch === "accepted") s.rematch = "offered"; // nor our yes: their offer stands
    const answeringHello = s.phase === "connecting" || s.phase === "reconnecting";
    if (FINAL_ERRORS.has(code) && (answeringHello || code === "game_not_found")) {
      if (s.gameId && s.mark) forgetSeat(s.gameId, s.mark);
      fail(message, false);
      return;
    }
    if (code === "not_your_turn" && s.mark === "x" && marks(s.board) === 0) {
      s.opponent = "waiting"; // after a resume we could not tell that nobody has joined yet
    }
    if (answeringHello) {
      fail(message, true);
      return;
    }
    s.notice = message;
  }

  // ---- the player's input ----------------------------------------------------------------------

  function choose(index) {
    const board = shownBoard();
    if (s.phase !== "playing") return;
    if (s.opponent === "waiting") {
      s.notice = "Wait for your opponent to join.";
    } else if (s.pending !== null || s.next !== s.mark) {
      s.notice = "It is not your turn yet.";
    } else if (board[index] !== " ") {
      s.notice = "That square is taken: choose an empty one.";
    } else {
      s.notice = "";
      s.pending = index;
      const tile = `${Math.floor(index / 3)},${index % 3}`;
      if (send({ type: "play", id: s.gameId, tile })) {
        clearMoveTimer();
        moveTimer = setTimeout(resync, MOVE_ANSWER_MS);
      } else {
        s.pending = null;
        s.notice = "Not connected: wait a moment and play again.";
      }
    }
    render();
  }

  function moveFocus(index) {
    focusIndex = index;
    el.cells.forEach((cell, i) => { cell.tabIndex = i === index ? 0 : -1; });
    el.cells[index].focus();
  }

  function askResign() {
    if (!canResign()) return;
    s.confirmingResign = true;
    render();
    el.resignNo.focus(); // the safe choice first: a stray Enter or tap loses nothing
  }

  function keepPlaying() {
    s.confirmingResign = false;
    render();
    if (!el.resign.hidden) el.resign.focus();
  }

  function resign() {
    s.confirmingResign = false;
    if (!canResign()) return render();
    if (send({ type: "resign", id: s.gameId })) {
      s.resigning = true;
      s.notice = "";
      clearMoveTimer();
      moveTimer = setTimeout(resync, MOVE_ANSWER_MS); // no `resigned` by then: ask for the game
    } else {
      s.notice = "Not connected: wait a moment and resign again.";
    }
    render();
  }

  function answerRematch(accept) {
    if (s.phase !== "over") return;
    if (send({ type: "rematch", id: s.gameId, accept })) {
      s.notice = "";
      if (!accept) s.rematch = "refused";
      else if (s.rematch === null) s.rematch = "asked";
      else s.rematch = "accepted"; // their offer: the new game is on its way
    } else {
      s.notice = "Not connected: start a new game instead.";
      s.rematch = "closed";
    }
    render();
  }

  const ARROWS = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };

  function bindInput() {
    el.cells.forEach((cell, index) => {
      cell.addEventListener("click", () => { focusIndex = index; choose(index); });
      cell.addEventListener("focus", () => { focusIndex = index; });
    });
    el.board.addEventListener("keydown", (event) => {
      const step = ARROWS[event.key];
      const current = el.cells.indexOf(document.activeElement);
      if (!step || current < 0) return;
      event.preventDefault();
      const row = (Math.floor(current / 3) + step[0] + 3) % 3;
      const column = ((current % 3) + step[1] + 3) % 3;
      moveFocus(row * 3 + column);
    });
    el.shareCopy.addEventListener("click", copyJoinLink);
    el.resign.addEventListener("click", askResign);
    el.resignYes.addEventListener("click", resign);
    el.resignNo.addEventListener("click", keepPlaying);
    el.resignConfirm.addEventListener("keydown", (event) => {
      if (event.key === "Escape") keepPlaying();
    });
    el.rematch.addEventListener("click", () => answerRematch(true));
    el.rematchDecline.addEventListener("click", () => answerRematch(false));
    el.retry.addEventListener("click", () => { attempts = 0; s.failure = ""; connect(); });
    el.newGame.href = location.pathname;
  }

  async function copyJoinLink() {
    const link = el.shareLink.value;
    try {
      await navigator.clipboard.writeText(link);
      el.shareNote.textContent = "Join link copied: send it to your opponent.";
    } catch (_) {
      el.shareLink.focus();
      el.shareLink.select();
      el.shareNote.textContent = "Your browser did not let the page copy: copy the selected link yourself.";
    }
  }

  // ---- start ------------------------------------------------------------------------------------

  function whatTheAddressAsks() {
    const params = new URLSearchParams(location.search);
    const game = params.get("game");
    const mark = params.get("mark");
    if (game && (mark === "x" || mark === "o")) {
      const seat = loadSeat(game, mark);
      if (seat) {
        s.gameId = game;
        s.mark = mark;
        s.token = seat.token;
      }
      return { kind: "join", id: game };
    }
    const join = params.get("join") || game;
    if (join) {
      const seat = loadSeat(join, "o"); // this browser joined already: carry on
      if (seat) {
        s.gameId = join;
        s.mark = "o";
        s.token = seat.token;
      }
      return { kind: "join", id: join };
    }
    return { kind: "start" };
  }

  async function loadConfig() {
    const response = await fetch(CONFIG_URL, { cache: "no-store" });
    if (!response.ok) throw new Error(`${CONFIG_URL}: HTTP ${response.status}`);
    const config = await response.json();
    if (typeof config.websocketUrl !== "string" || !/^wss?:\/\//.test(config.websocketUrl)) {
      throw new Error(`${CONFIG_URL} has no ws:// or wss:// websocketUrl`);
    }
    return config.websocketUrl;
  }

  async function main() {
    bindInput();
    pruneSeats();
    s.request = whatTheAddressAsks();
    render();
    try {
      s.websocketUrl = await loadConfig();
      performance.mark("xo-config-loaded");
    } catch (error) {
      fail(`The page cannot find its game server (${error.message}).`, false);
      return;
    }
    connect();
  }

  main();
})();
