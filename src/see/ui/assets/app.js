// The inspector page: calls from /api/events, grouped under their docker command,
// filtered, and one call's detail from /api/call/SEQ. It only reads from sockeye.

import { aids, loadSummaries } from "./learn.js";
import { caller, commandLink, denied, detail, esc, clock, row, statusClass } from "./render.js";

const $ = (id) => document.getElementById(id);
const state = {
  calls: new Map(),     // seq → call
  groups: new Map(),    // group id → { command, seqs: [] }
  keep: 5000,
  live: false,
  paused: false,
  pending: 0,
  clearedUpTo: -1,
  selected: null,
  collapsed: new Set(),
  status: { dropped: 0, evicted: 0 },
  dirty: false,
};

function reset(hello) {
  state.calls.clear();
  state.groups.clear();
  state.keep = hello.keep;
  state.live = hello.live;
}

function addCall(c) {
  if (c.seq <= state.clearedUpTo) return;
  const known = state.calls.has(c.seq);
  state.calls.set(c.seq, c);
  let g = state.groups.get(c.group);
  if (!g) { g = { command: c.command, seqs: [] }; state.groups.set(c.group, g); }
  if (!known) g.seqs.push(c.seq);
  if (c.command) g.command = c.command;
  // As many as sockeye keeps: the oldest go first.
  while (state.calls.size > state.keep) {
    const oldest = state.calls.keys().next().value;
    const old = state.calls.get(oldest);
    state.calls.delete(oldest);
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
    case "hello": reset(m); break;
    case "call": addCall(m.call); break;
    case "status": state.status = m; break;
  }
  schedule();
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
  const have = new Set([...select.options].map((o) => o.value));
  for (const v of [...values].sort()) {
    if (v && !have.has(v)) select.add(new Option(v, v));
  }
}

function visible() {
  const f = filters();
  const out = [];
  for (const [id, g] of state.groups) {
    const calls = g.seqs.map((s) => state.calls.get(s)).filter((c) => c && matches(c, f, g.command));
    if (calls.length) out.push([id, g, calls]);
  }
  return out;
}

function render() {
  if (state.paused) { renderCounts(); return; }
  const seen = new Set();
  const callers = new Set();
  const endpoints = new Set();
  for (const c of state.calls.values()) { callers.add(caller(c)); endpoints.add(c.endpoint); }
  options($("f-caller"), callers);
  options($("f-endpoint"), endpoints);
  const html = [];
  for (const [id, g, calls] of visible()) {
    const first = calls[0];
    const running = calls.some((c) => c.running);
    const deniedN = calls.filter(denied).length;
    html.push(`<details class="group" data-group="${id}"${state.collapsed.has(id) ? "" : " open"}>
<summary><span class="dim">${clock(first.time_unix)}</span> ${commandLink(g.command)}
<span class="meta">${esc(caller(first))} · ${calls.length} call${calls.length === 1 ? "" : "s"}${running ? " · running" : ""}${deniedN ? ` · <span class="decision deny">${deniedN} denied</span>` : ""}</span></summary>
<table class="calls"><tbody>`);
    for (const c of calls) {
      html.push(row(c, c.seq === state.selected));
      for (const [key, text] of aids(c, seen)) {
        html.push(`<tr class="aid-row"><td colspan="7"><aside class="aid" data-aid="${key}">${text}</aside></td></tr>`);
      }
    }
    html.push("</tbody></table></details>");
  }
  const tl = $("timeline");
  const scrolledToEnd = tl.scrollTop + tl.clientHeight >= tl.scrollHeight - 4;
  tl.innerHTML = html.join("") || `<p class="hint">${state.calls.size ? "No call matches the filters." : "No calls yet."}</p>`;
  if (scrolledToEnd && state.live) tl.scrollTop = tl.scrollHeight;
  renderCounts();
  const selection = visible().flatMap(([, , calls]) => calls.map((c) => c.seq));
  $("har").href = `/api/har?seq=${selection.join(",")}`;
}

function renderCounts() {
  const s = state.status;
  const parts = [`${state.calls.size} calls`];
  if (s.dropped) parts.push(`${s.dropped} events lost (the page could not keep up)`);
  if (s.evicted) parts.push(`older calls dropped: keeps the newest ${state.keep}`);
  if (state.paused && state.pending) parts.push(`${state.pending} new while paused`);
  $("counts").textContent = parts.join(" · ");
  const st = $("state");
  st.textContent = state.paused ? "paused" : state.live ? "live" : "recorded";
  st.className = `state ${state.paused ? "paused" : state.live ? "live" : ""}`;
}

async function showDetail(seq) {
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
  schedule();
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
  $("filters").addEventListener("input", schedule);
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
    schedule();
  });
}

function connect() {
  const es = new EventSource("/api/events");
  es.onmessage = (e) => onMessage(JSON.parse(e.data));
  es.onerror = () => {
    if (!state.live) { es.close(); $("state").textContent = "recorded"; return; }
    $("state").textContent = "reconnecting…";
  };
}

wire();
loadSummaries().then(schedule);
connect();
