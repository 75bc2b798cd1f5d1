// HTML for calls, groups and details. Every value from a call is escaped.

import { apiUrl, cliUrl, summary } from "./learn.js";
import { terminal } from "./terminal.js";

export function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) =>
    ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

export function clock(unix) {
  const d = new Date(unix * 1000);
  const p = (n, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function bytes(n) {
  if (!n) return "0";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1048576).toFixed(1)} MiB`;
}

export function duration(ms) {
  if (ms == null) return "";
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Who made the call: certificate, address, or process and uid; and its container. */
export function caller(call) {
  const p = call.peer || {};
  let who;
  if (p.cert) who = `cert ${p.cert.common_name || p.cert.subject}`;
  else if (p.addr && p.addr !== "0.0.0.0:0") who = p.addr;
  else if (p.process) who = `${p.process} (uid ${p.uid})`;
  else if (p.uid != null) who = `uid ${p.uid}`;
  else who = "";
  const c = call.container || p.container;
  if (c && c.name) who += ` in ${c.name}`;
  return who;
}

export function statusClass(status) {
  return status == null ? "none" : String(status)[0];
}

export function decision(call) {
  return call.policy ? call.policy.decision : null;
}

export function denied(call) {
  const d = decision(call);
  return d === "deny" || d === "would_deny";
}

function endpointLink(call) {
  const url = apiUrl(call.endpoint, call.api_version);
  const s = summary(call.endpoint);
  const title = s ? ` title="${esc(s.text)}"` : "";
  return url
    ? `<a class="endpoint" href="${esc(url)}" target="_blank" rel="noopener"${title}>${esc(call.endpoint)}</a>`
    : `<span class="endpoint">${esc(call.endpoint)}</span>`;
}

export function commandLink(command) {
  const first = (command || "").split("; ")[0];
  const url = cliUrl(first);
  return url
    ? `<a class="command" href="${esc(url)}" target="_blank" rel="noopener" title="the CLI reference of this command">${esc(command)}</a>`
    : `<span class="command">${esc(command || "(no command)")}</span>`;
}

/** One call's row in the timeline. */
export function row(call, selected) {
  const d = decision(call);
  const cls = ["call", call.running ? "running" : "", denied(call) ? "denied" : "", selected ? "selected" : ""].join(" ");
  const verdict = d ? `<span class="decision ${esc(d)}">${esc(d === "would_deny" ? "would deny" : d)}${d !== "allow" ? ` · ${esc(call.policy.rule)}` : ""}</span>` : "";
  return `<tr class="${cls}" data-seq="${call.seq}" data-endpoint="${esc(call.endpoint)}">
<td class="dim">${clock(call.time_unix)}</td>
<td>${esc(call.method)}</td>
<td class="target">${esc(call.target)}<br><span class="dim">${endpointLink(call)}</span></td>
<td class="status s${statusClass(call.status)}">${call.status ?? "—"}</td>
<td class="num">${bytes(call.bytes_out)}</td>
<td class="num">${call.running ? "running" : duration(call.duration_ms)}</td>
<td>${verdict}</td></tr>`;
}

/** A JSON value as a foldable tree. */
export function tree(v, key, depth = 0) {
  const k = key == null ? "" : `<span class="k">${esc(key)}</span>: `;
  if (v === null || typeof v !== "object") {
    const cls = typeof v === "string" ? "str" : typeof v === "number" ? "num" : "lit";
    const text = typeof v === "string" ? JSON.stringify(v) : String(v);
    return `<div class="kv">${k}<span class="${cls}">${esc(text)}</span></div>`;
  }
  const entries = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  const [open, close] = Array.isArray(v) ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) return `<div class="kv">${k}${open}${close}</div>`;
  const inner = entries.map(([ck, cv]) => tree(cv, ck, depth + 1)).join("");
  return `<details${depth < 2 ? " open" : ""}><summary>${k}${open} <span class="dim">${entries.length} ${Array.isArray(v) ? "items" : "keys"}</span></summary>${inner}<div>${close}</div></details>`;
}

function body(b) {
  if (!b) return "";
  if (b.json !== undefined) return `<div class="json">${tree(b.json, null)}</div>`;
  if (b.tty !== undefined) {
    return `<p class="dim">TTY output, as a terminal shows it</p><pre class="tty">${terminal(b.tty)}</pre>${b.cut ? `<p class="dim">… the first ${b.tty.length} of ${b.size} bytes</p>` : ""}`;
  }
  if (b.lines) {
    return `<pre class="lines">${b.lines.map(([l, t]) => `<span class="lbl lbl-${esc(l)}">${esc(l)}</span>${esc(t)}`).join("\n")}</pre>`;
  }
  return `<p class="dim">${esc(b.note || "")}</p>`;
}

function heads(list) {
  return `<table class="heads">${(list || []).map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join("")}</table>`;
}

/** The detail pane of one call. */
export function detail(d) {
  const c = d.call;
  const s = summary(c.endpoint);
  const url = apiUrl(c.endpoint, c.api_version);
  let h = `<h2>${commandLink(c.action)}</h2>
<p>${c.running ? "<b>running</b> · " : ""}${esc(c.method)} ${esc(c.target)} → <b class="s${statusClass(c.status)}">${c.status ?? "no answer"}</b>
 · ${duration(c.duration_ms)} · ${bytes(c.bytes_in)} in, ${bytes(c.bytes_out)} out · ${esc(caller(c))} · ${esc(c.id)}</p>
<p>${url ? `<a href="${esc(url)}" target="_blank" rel="noopener">${esc(c.endpoint)}</a>` : esc(c.endpoint)}${s ? ` <span class="summary">— ${esc(s.text)}</span>` : ""}
 ${c.api_version ? `<span class="dim">(API ${esc(c.api_version)})</span>` : ""}</p>`;
  if (c.policy) {
    const p = c.policy;
    h += `<div class="verdict ${esc(p.decision)}"><b>${esc(p.decision === "would_deny" ? "would be denied (audit mode)" : p.decision === "deny" ? "denied" : "allowed")}</b>
 by rule <code class="rule">${esc(p.rule)}</code>${p.reason ? `: ${esc(p.reason)}` : ""}${p.redacted && p.redacted.length ? ` · answer rewritten to hide ${esc(p.redacted.join(", "))}` : ""}</div>`;
  }
  if (d.explain) {
    // What `sockeye policy explain` prints for this request: each rule tried, in order.
    h += `<details class="explain" open><summary>How the policy decided <span class="dim">(as <code>sockeye policy explain</code> prints it)</span></summary>
<ol>${d.explain.map((l) => `<li class="${/: matched$|allowed by rule/.test(l) ? "hit" : ""}">${esc(l)}</li>`).join("")}</ol></details>`;
  }
  if (c.error || c.daemon_message) {
    h += `<p class="s5">${esc(c.daemon_message || c.error)}</p>`;
  }
  h += `<div class="actions">${d.curl ? `<button type="button" id="copy-curl">Copy as curl</button>` : ""}
<a class="button" href="/api/har?seq=${c.seq}" download="sockeye-${c.seq}.har">Download HAR</a></div>`;
  if (d.running) h += `<p class="dim">This call is still running; its detail comes when it ends.</p>`;
  if (d.request) {
    h += `<h3>Request</h3><div class="line">${esc(d.request.line)}</div>${heads(d.request.headers)}`;
    h += body(d.request.body);
    if (d.request.redacted) h += `<p class="dim">secret values redacted</p>`;
  }
  if (d.response) {
    h += `<h3>Response</h3><div class="line">${esc(d.response.line)}</div>${heads(d.response.headers)}${body(d.response.body)}`;
  }
  if (d.recorded) {
    h += `<h3>Recorded facts</h3><div class="json">${tree(d.recorded.facts || {}, null)}</div>`;
  }
  if (d.curl) h += `<details><summary>curl</summary><pre class="curl">${esc(d.curl)}</pre></details>`;
  return h;
}
