// The inspector page in a stock Firefox (Debian's firefox-esr), driven over WebDriver BiDi by
// puppeteer-core (tests/ui.rs runs this on the same session as inspector.mjs):
//   node firefox.mjs URL SCREENSHOT.png EXPECT.json
// The essentials, as in Chromium: the calls grouped under their commands, a detail with its
// body pretty-printed, the denied-only filter, no console errors.
// Prints "ok" and exits 0 when every check passed; otherwise the first failure, exit 1.
import puppeteer from "puppeteer-core";
import { readFileSync } from "node:fs";

const [url, shot, expectFile] = process.argv.slice(2);
const expect = JSON.parse(readFileSync(expectFile, "utf8"));
const browser = await puppeteer.launch({
  browser: "firefox",
  executablePath: process.env.FIREFOX || "/usr/bin/firefox-esr",
  headless: true,
  // A profile of its own, nothing asked of the network at start.
  extraPrefsFirefox: { "browser.shell.checkDefaultBrowser": false, "app.update.enabled": false },
});
const errors = [];
let failed = null;
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1500, height: 1000 });
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  const check = (cond, what) => { if (!cond) throw new Error(what); };
  const until = async (fn, arg, what = String(fn)) => {
    const deadline = Date.now() + 20000;
    while (!(await page.evaluate(fn, arg))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  // The calls, grouped under the commands that made them.
  await until(() => [...document.querySelectorAll("details.group > summary .command")].some((e) => e.textContent.startsWith("docker rm -f")));
  const cmds = await page.$$eval("details.group > summary .command", (els) => els.map((e) => e.textContent));
  for (const want of ["docker images", "docker ps -a", "docker run -d", "docker exec", "docker logs", "docker rm -f"]) {
    check(cmds.some((c) => c.startsWith(want)), `no group for ${want}: ${JSON.stringify(cmds)}`);
  }
  const runEndpoints = await page.evaluate(() => {
    const g = [...document.querySelectorAll("details.group")]
      .find((d) => d.querySelector("summary .command").textContent.startsWith("docker run -d"));
    return [...g.querySelectorAll("tr.call")].map((r) => r.dataset.endpoint);
  });
  check(runEndpoints.includes("ContainerCreate") && runEndpoints.includes("ContainerStart"), `docker run's group: ${runEndpoints}`);

  // The detail of the create, its body pretty-printed and foldable.
  await page.click("tr.call[data-endpoint=ContainerCreate]:not(.denied) td.target");
  await page.waitForSelector("#detail .json details");
  const detail = await page.$eval("#detail", (e) => e.innerText);
  check(detail.includes(JSON.stringify(expect.image)), `the create body shows no image ${expect.image}`);

  // Denied only leaves the denied call, with its rule.
  const before = await page.$$eval("tr.call", (r) => r.length);
  await page.click("#f-denied");
  await until((n) => document.querySelectorAll("tr.call").length < n, before);
  const denied = await page.$$eval("tr.call", (rows) => rows.map((r) => r.innerText));
  check(denied.length === 1 && denied[0].includes(expect.denied_rule), `denied only: ${JSON.stringify(denied)}`);
  await page.click("tr.call td.target");
  await page.waitForSelector("#detail .verdict.deny");
  await page.click("#f-denied");
  await until((n) => document.querySelectorAll("tr.call").length === n, before);
  await page.screenshot({ path: shot });
  check(errors.length === 0, `console errors: ${errors.slice(0, 3).join("; ")}`);
} catch (e) {
  failed = e;
} finally {
  await browser.close();
}
if (failed) {
  console.log(`FAILED: ${failed.message}`);
  process.exit(1);
}
console.log("ok");
