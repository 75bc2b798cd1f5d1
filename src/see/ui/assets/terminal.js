// What a container's TTY output looks like on a terminal: carriage returns and backspaces
// move the cursor and what follows overwrites, SGR sequences colour the text, erase
// sequences erase, cursor moves move; other sequences (titles, modes) show nothing. A small
// screen model, not a terminal emulator: enough for shells, progress bars and coloured logs.
// Pure (no DOM), so that node can test it: tests/browser/terminal.test.mjs.

const ESC = "\x1b";
// Characters that reorder or hide text: shown as escapes, as every other view shows them.
const INVISIBLE = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const MAX_LINES = 5000;
const MAX_COLUMNS = 1000;

function esc(s) {
  return s.replace(/[&<>"']/g, (c) =>
    ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** The style in force: a list of CSS classes, kept as one string per cell. */
class Pen {
  constructor() { this.reset(); }
  reset() { this.fg = null; this.bg = null; this.bold = false; this.dim = false; this.italic = false; this.underline = false; this.inverse = false; }
  classes() {
    const c = [];
    let [fg, bg] = this.inverse ? [this.bg ?? "dfbg", this.fg ?? "dffg"] : [this.fg, this.bg];
    if (fg != null) c.push(`t-fg${fg}`);
    if (bg != null) c.push(`t-bg${bg}`);
    if (this.bold) c.push("t-b");
    if (this.dim) c.push("t-d");
    if (this.italic) c.push("t-i");
    if (this.underline) c.push("t-u");
    return c.join(" ");
  }
  /** One SGR sequence's parameters. */
  sgr(params) {
    if (params.length === 0) params = [0];
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      if (p === 0) this.reset();
      else if (p === 1) this.bold = true;
      else if (p === 2) this.dim = true;
      else if (p === 3) this.italic = true;
      else if (p === 4) this.underline = true;
      else if (p === 7) this.inverse = true;
      else if (p === 22) { this.bold = false; this.dim = false; }
      else if (p === 23) this.italic = false;
      else if (p === 24) this.underline = false;
      else if (p === 27) this.inverse = false;
      else if (p >= 30 && p <= 37) this.fg = p - 30;
      else if (p === 39) this.fg = null;
      else if (p >= 40 && p <= 47) this.bg = p - 40;
      else if (p === 49) this.bg = null;
      else if (p >= 90 && p <= 97) this.fg = p - 90 + 8;
      else if (p >= 100 && p <= 107) this.bg = p - 100 + 8;
      else if (p === 38 || p === 48) {
        // 256 colours (5;N) keep their first 16; the rest, and true colour (2;R;G;B), are
        // shown in the default colour rather than guessed.
        let colour = null;
        if (params[i + 1] === 5) { colour = params[i + 2] < 16 ? params[i + 2] : null; i += 2; }
        else if (params[i + 1] === 2) i += 4;
        if (p === 38) this.fg = colour; else this.bg = colour;
      }
    }
  }
}

/** The screen: lines of [char, classes] cells and a cursor. */
class Screen {
  constructor() { this.lines = [[]]; this.row = 0; this.col = 0; this.top = 0; this.pen = new Pen(); }
  line() {
    while (this.lines.length <= this.row) this.lines.push([]);
    return this.lines[this.row];
  }
  put(ch) {
    if (this.col >= MAX_COLUMNS) return;
    const l = this.line();
    while (l.length < this.col) l.push([" ", ""]);
    l[this.col] = [ch, this.pen.classes()];
    this.col++;
  }
  down() {
    this.row++;
    if (this.row >= MAX_LINES) { this.lines.shift(); this.row--; this.top = Math.max(0, this.top - 1); }
    this.line();
  }
  eraseLine(mode) {
    const l = this.line();
    if (mode === 0) l.length = Math.min(l.length, this.col);
    else if (mode === 1) for (let i = 0; i <= this.col && i < l.length; i++) l[i] = [" ", ""];
    else l.length = 0;
  }
  eraseDisplay(mode) {
    if (mode === 0) { this.eraseLine(0); this.lines.length = this.row + 1; }
    else if (mode === 1) { for (let r = this.top; r < this.row; r++) this.lines[r] = []; this.eraseLine(1); }
    else { this.lines.length = this.top; this.row = this.top; this.line(); }
  }
  csi(params, final, privateMode) {
    if (privateMode) return;  // modes (cursor shown, bracketed paste…): nothing to show
    const n = (d = 1) => (params[0] || d);
    switch (final) {
      case "m": this.pen.sgr(params); break;
      case "K": this.eraseLine(params[0] || 0); break;
      case "J": this.eraseDisplay(params[0] || 0); break;
      case "A": this.row = Math.max(this.top, this.row - n()); break;
      case "B": this.row += n(); this.line(); break;
      case "C": this.col = Math.min(MAX_COLUMNS, this.col + n()); break;
      case "D": this.col = Math.max(0, this.col - n()); break;
      case "G": this.col = Math.max(0, n() - 1); break;
      case "H": case "f":
        // Rows count from the top of the screen: where the last full clear left it.
        this.row = this.top + Math.max(0, (params[0] || 1) - 1);
        this.col = Math.max(0, (params[1] || 1) - 1);
        this.line();
        break;
      default: break;
    }
  }
  html() {
    let end = this.lines.length;
    while (end > 1 && this.lines[end - 1].length === 0) end--;
    return this.lines.slice(0, end).map((l) => {
      let out = "";
      let i = 0;
      while (i < l.length) {
        const cls = l[i][1];
        let text = "";
        while (i < l.length && l[i][1] === cls) text += l[i++][0];
        out += cls ? `<span class="${cls}">${esc(text)}</span>` : esc(text);
      }
      return out;
    }).join("\n");
  }
  text() {
    return this.html().replace(/<[^>]*>/g, "").replace(/&(amp|lt|gt|quot|#39);/g, (_, e) =>
      ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e]);
  }
}

/** Play `data` (the bytes as a string) on a fresh screen. */
export function play(data) {
  const s = new Screen();
  let i = 0;
  while (i < data.length) {
    const ch = data[i];
    if (ch === ESC) {
      const next = data[i + 1];
      if (next === "[") {
        let j = i + 2;
        const privateMode = /[?<=>]/.test(data[j] || "");
        if (privateMode) j++;
        let raw = "";
        while (j < data.length && /[0-9;:]/.test(data[j])) raw += data[j++];
        while (j < data.length && /[ -/]/.test(data[j])) j++;  // intermediate bytes
        const final = data[j] || "";
        s.csi(raw === "" ? [] : raw.split(/[;:]/).map((p) => Number(p) || 0), final, privateMode);
        i = j + 1;
      } else if (next === "]" || next === "P" || next === "_" || next === "^") {
        // OSC (window title…) and other strings: up to BEL or ST.
        let j = i + 2;
        while (j < data.length && data[j] !== "\x07" && !(data[j] === ESC && data[j + 1] === "\\")) j++;
        i = data[j] === "\x07" ? j + 1 : j + 2;
      } else {
        i += 2;  // a two-character sequence (charset, keypad mode…)
      }
      continue;
    }
    if (ch === "\r") s.col = 0;
    else if (ch === "\n") s.down();
    else if (ch === "\b") s.col = Math.max(0, s.col - 1);
    else if (ch === "\t") s.col = Math.min(MAX_COLUMNS, (Math.floor(s.col / 8) + 1) * 8);
    else if (INVISIBLE.test(ch)) for (const c of `\\u{${ch.codePointAt(0).toString(16)}}`) s.put(c);
    else if (ch < " " || ch === "\x7f") { /* BEL and other controls show nothing */ }
    else s.put(ch);
    i++;
  }
  return s;
}

/** TTY output as HTML (text escaped, colours as t-* classes), as a terminal would show it. */
export function terminal(data) {
  return play(data).html();
}

/** The same as plain text. */
export function terminalText(data) {
  return play(data).text();
}
