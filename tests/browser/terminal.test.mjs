// The inspector's TTY renderer (src/see/ui/assets/terminal.js) plays output as a terminal
// would; tests/ui.rs runs this with node:  node terminal.test.mjs
// Prints "ok" and exits 0, or the first difference and exits 1.
import { terminal, terminalText } from "../../src/see/ui/assets/terminal.js";

const cases = [
  // [what, bytes, text on screen]
  ["a carriage return goes back to the start of the line", "loading...\rdone      \r\n", "done"],
  ["a progress bar redrawn in place shows its last state", "[#   ]\r[##  ]\r[####]\r\n", "[####]"],
  ["a backspace moves back, and the next character overwrites", "abX\bc\r\n", "abc"],
  ["colours and bold are not shown as escapes", "\x1b[1;31mred\x1b[0m plain\r\n", "red plain"],
  ["erase to the end of the line", "hello world\r\x1b[Kbye\r\n", "bye"],
  ["erase the whole line", "junk\x1b[2K\rline\r\n", "line"],
  ["clear the screen", "one\r\ntwo\r\n\x1b[H\x1b[2Jthree\r\n", "three"],
  ["cursor back, then overwrite", "abcdef\x1b[3DXY\r\n", "abcXYf"],
  ["a window title and private modes show nothing", "\x1b]0;title\x07\x1b[?25lprompt$ \x1b[?25h", "prompt$"],
  ["lines stay lines", "a\r\nb\r\n", "a\nb"],
  ["a bare line feed moves down, not back", "ab\ncd\r\n", "ab\n  cd"],
  ["bidi overrides are shown, not obeyed", "x\u202ey\r\n", "x\\u{202e}y"],
  ["markup is text", "<b>&amp;</b>\r\n", "<b>&amp;</b>"],
];
let failed = null;
for (const [what, input, want] of cases) {
  const got = terminalText(input).replace(/ +$/gm, "");
  if (got !== want) { failed = `${what}: ${JSON.stringify(input)} shows ${JSON.stringify(got)}, not ${JSON.stringify(want)}`; break; }
}
// Colours become classes; markup in the output is escaped.
if (!failed) {
  const html = terminal("\x1b[31mred\x1b[0m <i>\r\n");
  if (html !== '<span class="t-fg1">red</span> &lt;i&gt;') failed = `colour and escaping: ${html}`;
}
if (failed) {
  console.log(`FAILED: ${failed}`);
  process.exit(1);
}
console.log("ok");
