// The inspector page: calls from /api/events, grouped under their docker command,
// filtered, and one call's detail from /api/call/SEQ. It only reads from sockeye.

import { loadSummaries } from "./learn.js";
import { caller, denied, detail, esc, statusClass } from "./render.js";
import { Timeline } from "./timeline.js";

const $ = (id) => document.getElementById(id);
const state = {
  calls: new Map(),     // seq → call
  groups: new Map(),    // group id → { command, seqs: [] }
  callers: new Set(),
  endpoints: new Set(),
  keep: 5000,
  live: false,
  paused: false,
  pending: 0,
  clearedUpTo: -1,
  selected: null,
  collapsed: new Set(),
  status: { dropped: 0, evicted: 0 },
  dirty: false,
  rebuild: true,
  connected: false,  // the first snapshot came
  atEnd: true,       // the list was scrolled to its end: a live list stays there
};
const list = new Timeline($("timeline"), state, matches);
list.onFilled = () => {
  if (state.live && state.atEnd) endOfList();
  ready();
};

function endOfList() {
  const tl = $("timeline");
  tl.scrollTop = tl.scrollHeight;
}

function reset(hello) {
  state.calls.clear();
  state.groups.clear();
  state.keep = hello.keep;
  state.live = hello.live;
  state.rebuild = true;
}

function addCall(c) {
  if (c.seq <= state.clearedUpTo) return;
  const known = state.calls.has(c.seq);
  state.calls.set(c.seq, c);
  let g = state.groups.get(c.group);
  if (!g) { g = { command: c.command, seqs: [] }; state.groups.set(c.group, g); }
  if (!known) g.seqs.push(c.seq);
  if (c.command) g.command = c.command;
  state.callers.add(caller(c));
  state.endpoints.add(c.endpoint);
  list.note(c.seq);
  // As many as sockeye keeps: the oldest go first.
  while (state.calls.size > state.keep) {
    const oldest = state.calls.keys().next().value;
    const old = state.calls.get(oldest);
    state.calls.delete(oldest);
    list.note(oldest, old.group);
    const og = state.groups.get(old.group);
    if (og) {
      og.seqs = og.seqs.filter((s) => s !== oldest);
      if (og.seqs.length === 0) state.groups.delete(old.group);
    }
  }
  if (state.paused) state.pending++;
  if (state.selected === c.seq && !c.running) showDetail(c.seq);
}

function onMessage(m) {
  switch (m.type) {
    case "snapshot":
      reset(m);
      state.connected = true;
      for (const c of m.calls) addCall(c);
      // Drawn now rather than on the next frame, so that the first picture is the list.
      render();
      return;
    case "call": addCall(m.call); break;
    case "status": state.status = m; break;
  }
  schedule();
}

/**
 * Note when the list first stood in the document, laid out, with the rows in view made
 * (tests read it): the first time groups were filled after the calls came.
 */
function ready() {
  const root = document.documentElement;
  if (root.dataset.listReadyMs || !state.connected) return;
  void $("timeline").scrollHeight;
  root.dataset.listReadyMs = performance.now().toFixed(1);
}

function schedule() {
  if (state.dirty) return;
  state.dirty = true;
  requestAnimationFrame(() => { state.dirty = false; render(); });
}

function filters() {
  return {
    caller: $("f-caller").value,
    endpoint: $("f-endpoint").value,
    status: $("f-status").value,
    denied: $("f-denied").checked,
    text: $("f-text").value.trim().toLowerCase(),
  };
}

function matches(c, f, command) {
  if (f.caller && caller(c) !== f.caller) return false;
  if (f.endpoint && c.endpoint !== f.endpoint) return false;
  if (f.status && statusClass(c.status) !== f.status) return false;
  if (f.denied && !denied(c)) return false;
  if (f.text) {
    const hay = [c.action, c.target, c.endpoint, caller(c), command, c.status, c.id,
      c.policy && c.policy.rule, c.daemon_message].join(" ").toLowerCase();
    if (!hay.includes(f.text)) return false;
  }
  return true;
}

/** Keep a select's options to the values seen, keeping the choice. */
function options(select, values) {
  if (select.options.length - 1 >= values.size) return;
  const have = new Set([...select.options].map((o) => o.value));
  for (const v of [...values].sort()) {
    if (v && !have.has(v)) select.add(new Option(v, v));
  }
}

function render() {
  if (state.paused) { renderCounts(); return; }
  options($("f-caller"), state.callers);
  options($("f-endpoint"), state.endpoints);
  const tl = $("timeline");
  state.atEnd = tl.scrollTop + tl.clientHeight >= tl.scrollHeight - 4;
  if (state.rebuild) {
    state.rebuild = false;
    list.full(filters());
  } else {
    list.flush();
  }
  if (state.atEnd && state.live) endOfList();
  renderCounts();
  if (!state.calls.size) ready();
}

/** The whole list again: the filters changed, or the calls were cleared. */
function rebuild() {
  state.rebuild = true;
  schedule();
}

function renderCounts() {
  const s = state.status;
  const parts = [`${state.calls.size} calls`];
  if (s.dropped) parts.push(`${s.dropped} events lost (the page could not keep up)`);
  if (s.evicted) parts.push(`${s.evicted} older calls dropped (sockeye keeps the newest ${state.keep}, within --ui-keep-bytes)`);
  if (state.paused && state.pending) parts.push(`${state.pending} new while paused`);
  $("counts").textContent = parts.join(" · ");
  const st = $("state");
  st.textContent = state.paused ? "paused" : state.live ? "live" : "recorded";
  st.className = `state ${state.paused ? "paused" : state.live ? "live" : ""}`;
}

async function showDetail(seq) {
  list.select(seq, state.selected);
  state.selected = seq;
  const pane = $("detail");
  try {
    const r = await fetch(`/api/call/${seq}`);
    if (!r.ok) { pane.innerHTML = `<p class="hint">${esc(await r.text())}</p>`; return; }
    const d = await r.json();
    pane.innerHTML = detail(d);
    const copy = $("copy-curl");
    if (copy) copy.addEventListener("click", () => copyText(d.curl, copy));
  } catch (e) {
    pane.innerHTML = `<p class="hint">cannot load the call: ${esc(e)}</p>`;
  }
}

async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch (_) {
    // Clipboard access needs a secure context or a permission: select it instead.
    const pre = document.querySelector("pre.curl");
    if (pre) {
      pre.parentElement.open = true;
      const range = document.createRange();
      range.selectNodeContents(pre);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      button.textContent = "Selected: press Ctrl-C";
    }
  }
}

function wire() {
  $("timeline").addEventListener("click", (e) => {
    if (e.target.closest("a")) return;
    const tr = e.target.closest("tr.call");
    if (tr) showDetail(Number(tr.dataset.seq));
  });
  $("timeline").addEventListener("toggle", (e) => {
    const g = e.target.closest("details.group");
    if (!g || e.target !== g) return;
    const id = Number(g.dataset.group);
    if (g.open) state.collapsed.delete(id); else state.collapsed.add(id);
  }, true);
  $("filters").addEventListener("input", rebuild);
  // The calls the filters show, worked out when asked for rather than on every frame.
  $("har").addEventListener("click", () => {
    const f = filters();
    const all = !f.caller && !f.endpoint && !f.status && !f.denied && !f.text;
    const shown = [...state.calls.values()]
      .filter((c) => matches(c, f, state.groups.get(c.group)?.command))
      .map((c) => c.seq);
    $("har").href = all ? "/api/har" : `/api/har?seq=${shown.join(",")}`;
  });
  $("filters").addEventListener("submit", (e) => e.preventDefault());
  $("pause").addEventListener("click", () => {
    state.paused = !state.paused;
    state.pending = 0;
    $("pause").textContent = state.paused ? "Resume" : "Pause";
    schedule();
  });
  $("clear").addEventListener("click", () => {
    for (const s of state.calls.keys()) state.clearedUpTo = Math.max(state.clearedUpTo, s);
    state.calls.clear();
    state.groups.clear();
    rebuild();
  });
}

function connect() {
  const es = new EventSource("/api/events");
  // The summaries are asked for at the same time; rows are drawn once they came, with
  // their links.
  let pending = [];
  summaries.then(() => {
    for (const m of pending) onMessage(m);
    pending = null;
  });
  es.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (pending) pending.push(m); else onMessage(m);
  };
  es.onerror = () => {
    if (!state.live) { es.close(); $("state").textContent = "recorded"; return; }
    $("state").textContent = "reconnecting…";
  };
}

const summaries = loadSummaries();
wire();
connect();
