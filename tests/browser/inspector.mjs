// Drive the inspector page in Debian's headless Chromium (tests/ui.rs runs this):
//   node inspector.mjs URL SCREENSHOT.png EXPECT.json
// EXPECT names what the docker session made: {"image": …, "denied_rule": …}.
// Prints "ok" and exits 0 when every check passed; otherwise the first failure, exit 1.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

const [url, shot, expectFile] = process.argv.slice(2);
const expect = JSON.parse(readFileSync(expectFile, "utf8"));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const errors = [];
let failed = null;
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  const check = (cond, what) => { if (!cond) throw new Error(what); };
  // page.waitForFunction compiles a string, which the page's CSP (rightly) forbids.
  const until = async (fn, arg, what = String(fn)) => {
    const deadline = Date.now() + 20000;
    while (!(await page.evaluate(fn, arg))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  // The calls appear, grouped under the commands that made them.
  const commands = () => page.$$eval("details.group > summary .command", (els) => els.map((e) => e.textContent));
  await until(() => document.querySelectorAll("tr.call").length >= 15);
  await until(() => [...document.querySelectorAll("details.group > summary .command")].some((e) => e.textContent.startsWith("docker rm -f")));
  const cmds = await commands();
  for (const want of ["docker images", "docker ps -a", "docker run -d", "docker exec", "docker logs", "docker rm -f"]) {
    check(cmds.some((c) => c.startsWith(want)), `no group for ${want}: ${JSON.stringify(cmds)}`);
  }
  const runGroup = page.locator("details.group", { has: page.locator("summary .command", { hasText: /^docker run -d/ }) }).first();
  const runEndpoints = await runGroup.locator("tr.call").evaluateAll((rows) => rows.map((r) => r.dataset.endpoint));
  check(runEndpoints.includes("ContainerCreate") && runEndpoints.includes("ContainerStart"),
    `docker run's group: ${runEndpoints}`);
  // The command links to its CLI reference, the endpoint to the API reference.
  const cli = await runGroup.locator("summary a.command").getAttribute("href");
  check(cli === "https://docs.docker.com/reference/cli/docker/container/run/", `CLI link ${cli}`);
  const api = await runGroup.locator("tr.call[data-endpoint=ContainerCreate] a.endpoint").getAttribute("href");
  check(/reference\/api\/engine\/version\/v1\.\d+\/#tag\/Container\/operation\/ContainerCreate$/.test(api), `API link ${api}`);
  // The learning aids sit beside the first call that shows each.
  for (const aid of ["negotiation", "hijack", "multiplexed"]) {
    check(await page.locator(`aside.aid[data-aid=${aid}]`).count() === 1, `aid ${aid}`);
  }
  // A group folds.
  await runGroup.locator("summary").click({ position: { x: 5, y: 5 } });
  check(!(await runGroup.evaluate((d) => d.open)), "the group did not fold");
  await runGroup.locator("summary").click({ position: { x: 5, y: 5 } });

  // The detail of create opens with its body pretty-printed and foldable.
  await runGroup.locator("tr.call[data-endpoint=ContainerCreate]").click();
  await page.waitForSelector("#detail .json details");
  const detail = await page.locator("#detail").innerText();
  check(detail.includes(JSON.stringify(expect.image)), `the create body shows no image ${expect.image}`);
  check(await page.locator("#detail .json .k", { hasText: "HostConfig" }).count() > 0, "no HostConfig key");
  check(await page.locator("#copy-curl").count() === 1, "no copy-as-curl button");
  check((await page.locator("#detail pre.curl").textContent()).includes("curl --unix-socket"), "no curl command");
  await page.screenshot({ path: shot.replace(/\.png$/, "-detail.png") });

  // The exec's stream is shown as labelled stdout.
  const execStart = page.locator("tr.call[data-endpoint=ExecStart]").first();
  await execStart.click();
  await page.waitForSelector("#detail pre.lines .lbl-stdout");

  // The exec -t session's output, as a terminal shows it (not as escapes).
  await page.locator("tr.call[data-endpoint=ExecStart]").last().click();
  await page.waitForSelector("#detail pre.tty");
  const screen = await page.locator("#detail pre.tty").innerText();
  check(screen.replace(/ +$/gm, "").trimEnd() === expect.tty_screen, `the TTY output shows ${JSON.stringify(screen)}`);
  check(await page.locator("#detail pre.tty .t-fg1").innerText() === "R", "the red R is not red");
  await page.screenshot({ path: shot.replace(/\.png$/, "-tty.png") });

  // A filter narrows the list: denied only leaves the denied call, with its rule.
  const before = await page.locator("tr.call").count();
  await page.check("#f-denied");
  await until((n) => document.querySelectorAll("tr.call").length < n, before);
  const deniedRows = page.locator("tr.call");
  check(await deniedRows.count() === 1, `denied only shows ${await deniedRows.count()} calls`);
  const rowText = await deniedRows.first().innerText();
  check(rowText.includes(expect.denied_rule), `the denied row names no rule: ${rowText}`);
  await deniedRows.first().click();
  await page.waitForSelector("#detail .verdict.deny");
  const verdict = await page.locator("#detail .verdict").innerText();
  check(verdict.includes("denied") && verdict.includes(expect.denied_rule), `verdict: ${verdict}`);
  // How the policy got there, as `policy explain` prints it.
  const matched = await page.locator("#detail details.explain li.hit").innerText();
  check(matched.startsWith(`${expect.denied_rule} (`) && matched.endsWith(": matched"), `explain trace: ${matched}`);
  await page.screenshot({ path: shot.replace(/\.png$/, "-denied.png") });
  await page.uncheck("#f-denied");
  // Free text narrows too.
  await page.fill("#f-text", "docker logs");
  await until(() => document.querySelectorAll("details.group").length === 1);
  await page.fill("#f-text", "");
  await until((n) => document.querySelectorAll("tr.call").length === n, before);
  // Live: a command run now, with the page open, appears as it runs (rows added to the list
  // in place, its running calls replaced by their ends), and its group's header counts them.
  const groupsBefore = await page.locator("details.group").count();
  execFileSync("docker", ["run", "--rm", expect.image, "echo", "live"], {
    env: { ...process.env, DOCKER_HOST: expect.docker_host }, stdio: "ignore",
  });
  await until(() => {
    const g = [...document.querySelectorAll("details.group")]
      .find((d) => d.querySelector("summary .command").textContent.startsWith("docker run --rm"));
    return g && g.querySelector("tr.call[data-endpoint=ContainerWait]") && !g.querySelector("tr.call.running");
  }, undefined, "the live docker run's calls, ended");
  check(await page.locator("details.group").count() === groupsBefore + 1, "the live command is not one new group");
  const liveRows = await page.locator("details.group").last().locator("tr.call").count();
  const liveMeta = await page.locator("details.group").last().locator("summary .meta").innerText();
  check(liveMeta.includes(`${liveRows} calls`), `the live group's header says ${liveMeta}, with ${liveRows} rows`);

  // Select the run's create again for the picture.
  await runGroup.locator("tr.call[data-endpoint=ContainerCreate]").click();
  await page.waitForSelector("#detail .json details");
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
