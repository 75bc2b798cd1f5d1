// The inspector page open in headless Chromium for bench/ui_cost.py: loads URL, says
// "ready" once the page shows its list, then keeps the page open (connected to the event
// stream, rendering each call) until its stdin closes; prints the page's counts line last.
// Uses the playwright-core that tests/browser installs (npm ci there).
import { createRequire } from "node:module";

const require = createRequire(new URL("../tests/browser/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const url = process.argv[2];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
await page.goto(url);
while (!(await page.evaluate(() => document.documentElement.dataset.listReadyMs))) {
  await new Promise((r) => setTimeout(r, 50));
}
console.log("ready");
process.stdin.resume();
await new Promise((r) => process.stdin.on("end", r));
console.log(await page.locator("#counts").textContent());
await browser.close();
