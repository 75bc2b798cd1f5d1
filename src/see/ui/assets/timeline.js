// The timeline in the document: groups of rows kept in step with the calls by changing only
// what changed. Rebuilding the whole list on every frame with a new call cost seconds with
// 5,000 calls; now a new call is one row appended and its group's header redrawn. The whole
// list is built on load, on a filter change and on clear, and then only the groups' headers:
// a group's rows are made when it comes near the view (parsing 5,000 rows was most of the
// load time), and a group out of view is not laid out (content-visibility in style.css).

import { aids } from "./learn.js";
import { caller, clock, commandLink, denied, esc, row } from "./render.js";

const template = document.createElement("template");

/** Nodes from HTML made of table rows (a template parses them in table context). */
function nodes(html, context) {
  template.innerHTML = context ? `<table><tbody>${html}</tbody></table>` : html;
  const frag = document.createDocumentFragment();
  const from = context ? template.content.querySelector("tbody") : template.content;
  while (from.firstChild) frag.appendChild(from.firstChild);
  return frag;
}

/** The seq of a table row: its call's, or for a learning aid the call it sits beside. */
function rowSeq(tr) {
  return Number(tr.dataset.seq ?? tr.dataset.for);
}

export class Timeline {
  /**
   * `el`: the timeline's element; `state`: the page's calls and groups; `matches(call, filters,
   * command)`: whether the filters let a call through.
   */
  constructor(el, state, matches) {
    this.el = el;
    this.state = state;
    this.matches = matches;
    this.rows = new Map();      // seq → tr.call
    this.groupEls = new Map();  // group id → details.group
    this.seen = new Set();      // learning aids already shown
    this.changed = new Set();   // seqs added, updated or gone since the last flush
    this.stale = new Set();     // groups that lost a call since the last flush
    this.aidsFor = new Map();   // seq → the learning aids' rows shown beside that call
    this.filters = null;
    /** Called after groups were filled with their rows (the view may need scrolling). */
    this.onFilled = () => {};
    this.near = new IntersectionObserver((seen) => {
      let any = false;
      for (const e of seen) {
        if (e.isIntersecting && this.fill(e.target)) any = true;
      }
      this.onFilled(any);
    }, { root: el, rootMargin: "1500px 0px" });
  }

  /** A call was added, updated or forgotten (then `group` is the one it was in). */
  note(seq, group) {
    this.changed.add(seq);
    if (group !== undefined) this.stale.add(group);
  }

  visibleCalls(g, f) {
    const out = [];
    for (const s of g.seqs) {
      const c = this.state.calls.get(s);
      if (c && this.matches(c, f, g.command)) out.push(c);
    }
    return out;
  }

  summary(id, g, calls) {
    const first = calls[0];
    const running = calls.some((c) => c.running);
    const deniedN = calls.filter(denied).length;
    return `<span class="dim">${clock(first.time_unix)}</span> ${commandLink(g.command)}
<span class="meta">${esc(caller(first))} · ${calls.length} call${calls.length === 1 ? "" : "s"}${running ? " · running" : ""}${deniedN ? ` · <span class="decision deny">${deniedN} denied</span>` : ""}</span>`;
  }

  /** Whether `c` is the first call shown that shows something worth a word, in order. */
  learn(c) {
    if (this.aidsFor.has(c.seq)) return;
    const html = aids(c, this.seen).map(([key, text]) =>
      `<tr class="aid-row" data-for="${c.seq}"><td colspan="7"><aside class="aid" data-aid="${key}">${text}</aside></td></tr>`);
    if (html.length) this.aidsFor.set(c.seq, html.join(""));
  }

  rowHtml(c) {
    return row(c, c.seq === this.state.selected) + (this.aidsFor.get(c.seq) || "");
  }

  hint() {
    return `<p class="hint">${this.state.calls.size ? "No call matches the filters." : "No calls yet."}</p>`;
  }

  /** Build the whole list for filters `f`: every group's header; rows as they come near. */
  full(f) {
    this.filters = f;
    this.changed.clear();
    this.stale.clear();
    this.seen = new Set();
    this.aidsFor.clear();
    this.near.disconnect();
    const html = [];
    for (const [id, g] of this.state.groups) {
      const calls = this.visibleCalls(g, f);
      if (!calls.length) continue;
      for (const c of calls) this.learn(c);
      html.push(`<details class="group" data-group="${id}" data-calls="${calls.length}"${this.state.collapsed.has(id) ? "" : " open"}><summary>${this.summary(id, g, calls)}</summary><table class="calls"><tbody></tbody></table></details>`);
    }
    this.el.innerHTML = html.join("") || this.hint();
    this.rows.clear();
    this.groupEls.clear();
    for (const d of this.el.querySelectorAll("details.group")) {
      this.groupEls.set(Number(d.dataset.group), d);
      // Until filled, a group out of view takes about the room its rows will (set here:
      // the page's CSP forbids style attributes in markup).
      d.style.containIntrinsicSize = `auto ${28 + 38 * Number(d.dataset.calls)}px`;
      this.near.observe(d);
    }
  }

  /** Make the rows of a group that has none yet; says whether it did. */
  fill(d) {
    this.near.unobserve(d);
    if (d.dataset.filled !== undefined) return false;
    d.dataset.filled = "";
    d.style.removeProperty("contain-intrinsic-size");
    const g = this.state.groups.get(Number(d.dataset.group));
    if (!g) return false;
    const calls = this.visibleCalls(g, this.filters);
    const tbody = d.querySelector("tbody");
    tbody.append(nodes(calls.map((c) => this.rowHtml(c)).join(""), true));
    for (const tr of tbody.querySelectorAll("tr.call")) this.rows.set(Number(tr.dataset.seq), tr);
    return true;
  }

  /** Apply the calls changed since the last time. */
  flush() {
    if (!this.changed.size) return;
    const f = this.filters;
    // A group whose rows are not made yet still shows its count in its header.
    const dirty = new Set(this.stale);
    this.stale.clear();
    for (const seq of this.changed) {
      const c = this.state.calls.get(seq);
      const tr = this.rows.get(seq);
      if (tr) dirty.add(Number(tr.closest("details.group").dataset.group));
      const g = c && this.state.groups.get(c.group);
      const show = g && this.matches(c, f, g.command);
      if (g) dirty.add(c.group);
      if (tr && show) {
        const fresh = nodes(row(c, seq === this.state.selected), true).firstElementChild;
        tr.replaceWith(fresh);
        this.rows.set(seq, fresh);
      } else if (tr) {
        this.removeRow(seq, tr);
      } else if (show) {
        this.learn(c);
        this.insertRow(c);
      }
    }
    this.changed.clear();
    for (const id of dirty) this.redrawGroup(id, f);
    const hint = this.el.querySelector(":scope > p.hint");
    if (this.groupEls.size && hint) hint.remove();
    if (!this.groupEls.size) this.el.innerHTML = this.hint();
  }

  removeRow(seq, tr) {
    let next = tr.nextElementSibling;
    while (next && next.dataset.for === String(seq)) {
      const n = next.nextElementSibling;
      next.remove();
      next = n;
    }
    tr.remove();
    this.rows.delete(seq);
  }

  insertRow(c) {
    const d = this.groupEls.get(c.group) || this.addGroup(c.group);
    // A group not filled yet gets the call with the others when it comes near.
    if (d.dataset.filled === undefined) return;
    const tbody = d.querySelector("tbody");
    // Calls come in order: a new one goes last; one that the filters let through only now
    // goes where its number puts it.
    let before = null;
    const last = tbody.lastElementChild;
    if (last && rowSeq(last) > c.seq) {
      before = [...tbody.children].find((tr) => tr.classList.contains("call") && rowSeq(tr) > c.seq) || null;
    }
    tbody.insertBefore(nodes(this.rowHtml(c), true), before);
    this.rows.set(c.seq, tbody.querySelector(`tr.call[data-seq="${c.seq}"]`));
  }

  addGroup(id) {
    const d = document.createElement("details");
    d.className = "group";
    d.dataset.group = id;
    d.dataset.filled = "";
    d.open = !this.state.collapsed.has(id);
    d.append(document.createElement("summary"), nodes('<table class="calls"><tbody></tbody></table>').firstChild);
    // Groups are numbered as they begin: a new one is the last, almost always.
    const last = this.el.lastElementChild;
    let before = null;
    if (last && last.matches("details.group") && Number(last.dataset.group) > id) {
      before = [...this.el.children].find((e) => Number(e.dataset.group) > id) || null;
    }
    this.el.insertBefore(d, before);
    this.groupEls.set(id, d);
    return d;
  }

  redrawGroup(id, f) {
    const d = this.groupEls.get(id);
    if (!d) return;
    const g = this.state.groups.get(id);
    const calls = g ? this.visibleCalls(g, f) : [];
    if (!calls.length) {
      d.remove();
      this.groupEls.delete(id);
      return;
    }
    d.querySelector(":scope > summary").innerHTML = this.summary(id, g, calls);
  }

  /** Mark the selected call's row. */
  select(seq, old) {
    this.rows.get(old)?.classList.remove("selected");
    this.rows.get(seq)?.classList.add("selected");
  }
}
