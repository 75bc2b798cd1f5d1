// Learning aids: where each endpoint and each docker command is documented, and a few
// words on what a newcomer meets in the first calls of a session.

let summaries = {};

/** Load the API spec's one-line summaries (built from tests/data/spec by scripts/ui-summaries.py). */
export async function loadSummaries() {
  try {
    const r = await fetch("/summaries.json");
    if (r.ok) summaries = await r.json();
  } catch (_) { /* the links still work without summaries */ }
}

/** The spec's tag and one-line summary of an endpoint, when the spec has it. */
export function summary(endpoint) {
  const s = summaries[endpoint];
  return s ? { tag: s[0], text: s[1] } : null;
}

/** The Engine API reference section of `endpoint` for API version `version` (e.g. "1.41"). */
export function apiUrl(endpoint, version) {
  const s = summaries[endpoint];
  if (!s) return null;
  const v = version ? `version/v${version}` : "latest";
  return `https://docs.docker.com/reference/api/engine/${v}/#tag/${encodeURIComponent(s[0])}/operation/${encodeURIComponent(endpoint)}`;
}

// Top-level commands that are short for a management command's (`docker ps` is
// `docker container ls`), as the CLI reference files them.
const ALIASES = {
  attach: "container/attach", commit: "container/commit", cp: "container/cp",
  create: "container/create", diff: "container/diff", exec: "container/exec",
  export: "container/export", kill: "container/kill", logs: "container/logs",
  pause: "container/pause", port: "container/port", ps: "container/ls",
  rename: "container/rename", restart: "container/restart", rm: "container/rm",
  run: "container/run", start: "container/start", stats: "container/stats",
  stop: "container/stop", top: "container/top", unpause: "container/unpause",
  update: "container/update", wait: "container/wait", build: "buildx/build",
  history: "image/history", images: "image/ls", import: "image/import", load: "image/load",
  pull: "image/pull", push: "image/push", rmi: "image/rm", save: "image/save", tag: "image/tag",
  events: "system/events", inspect: "inspect", info: "info", version: "version",
  login: "login", logout: "logout", search: "search",
};
const MANAGEMENT = new Set(["builder", "buildx", "checkpoint", "compose", "config", "container",
  "context", "image", "manifest", "network", "node", "plugin", "secret", "service", "stack",
  "swarm", "system", "trust", "volume"]);

/** The CLI reference page of a docker command line (`docker ps -a`), or null. */
export function cliUrl(command) {
  const words = (command || "").split(/\s+/);
  if (words[0] !== "docker" || !words[1]) return null;
  let path;
  if (MANAGEMENT.has(words[1]) && /^[a-z][a-z-]*$/.test(words[2] || "")) {
    path = `${words[1]}/${words[2]}`;
  } else if (ALIASES[words[1]]) {
    path = ALIASES[words[1]];
  } else {
    return null;
  }
  return `https://docs.docker.com/reference/cli/docker/${path}/`;
}

const STREAMS = new Set(["ContainerAttach", "ContainerLogs", "ExecStart"]);

/** The first call that shows each thing worth a word: [key, html] pairs for `call`. */
export function aids(call, seen) {
  const out = [];
  const once = (key, html) => { if (!seen.has(key)) { seen.add(key); out.push([key, html]); } };
  if (call.endpoint === "SystemPingHead" || call.endpoint === "SystemPing") {
    once("negotiation", `<b>Version negotiation.</b> Every docker command starts with
      <code>HEAD /_ping</code>: the daemon answers with its highest API version in the
      <code>Api-Version</code> header, and the client then puts the lower of that and its own in
      every path (<code>/v1.41/containers/json</code>). An older daemon answers a newer path with
      an error, so negotiating first lets one CLI talk to many engines.`);
  }
  if (call.hijacked || call.status === 101) {
    once("hijack", `<b>Hijacked connection.</b> <code>attach</code> and <code>exec start</code>
      ask to <code>Upgrade: tcp</code>; the daemon answers <code>101 Switching Protocols</code>
      (or <code>200</code> without the header) and from then on the HTTP connection is a raw
      two-way pipe: the client's keystrokes go in, the process's output comes out, until one
      side closes it. That is why this call stays open while the command runs.`);
  }
  if (STREAMS.has(call.endpoint)) {
    once("multiplexed", `<b>Multiplexed stream.</b> Without a TTY, stdout and stderr share
      one connection: each chunk is a frame with an 8-byte header — one byte for the stream
      (1 stdout, 2 stderr), three zero bytes, and the length as a 4-byte big-endian number —
      then that many bytes. With a TTY (<code>-t</code>) there is one stream and no headers.
      The detail shows the frames decoded and labelled.`);
  }
  return out;
}
