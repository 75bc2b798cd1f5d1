// testcontainers-node the way CI suites use it: start a container with an exposed port and
// the default wait strategy (which execs into the container to see the port listen), exec,
// logs, stop. Each step prints one line that does not depend on ids, ports or timing;
// tests/clients.rs runs this directly and through sockeye and compares the transcripts.
'use strict';

const { GenericContainer } = require('testcontainers');
const http = require('http');

const IMAGE = process.env.SOCKEYE_TEST_IMAGE || 'sockeye-test/busybox:1';

function bounded(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after 90 s`)), 90000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function get(host, port) {
  return new Promise((resolve, reject) => {
    http.get({ host, port, path: '/hello.txt' }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve(`${res.statusCode} ${JSON.stringify(body)}`));
    }).on('error', reject);
  });
}

async function main() {
  let container;
  const step = async (name, f) => {
    try {
      console.log(`${name}: ${await bounded(f(), name)}`);
    } catch (e) {
      console.log(`${name}: error: ${String(e.message).split('\n')[0]}`);
    }
  };
  await step('start', async () => {
    container = await new GenericContainer(IMAGE)
      .withCommand(['sh', '-c', 'echo hello > /hello.txt; echo serving; exec httpd -f -p 8080 -h /'])
      .withExposedPorts(8080)
      .start();
    return 'started';
  });
  if (!container) return;
  await step('port', async () => get(container.getHost(), container.getMappedPort(8080)));
  await step('exec', async () => {
    const r = await container.exec(['sh', '-c', 'echo out; echo err >&2; exit 3']);
    return `exit=${r.exitCode} stdout=${JSON.stringify(r.stdout)} stderr=${JSON.stringify(r.stderr)}`;
  });
  await step('exec-output', async () => {
    const r = await container.exec(['cat', '/hello.txt']);
    return `exit=${r.exitCode} output=${JSON.stringify(r.output)}`;
  });
  await step('logs', async () => {
    const stream = await container.logs();
    return new Promise((resolve, reject) => {
      let text = '';
      stream.on('data', (line) => {
        text += line;
        if (text.includes('serving')) {
          stream.destroy();
          resolve(JSON.stringify(text.trim()));
        }
      });
      stream.on('error', reject);
    });
  });
  await step('stop', async () => {
    const stopped = await container.stop({ timeout: 1 });
    return stopped ? 'stopped' : '?';
  });
}

process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
main().then(() => process.exit(0), (e) => {
  console.error(`testcontainers: cannot run: ${e.message}`);
  process.exit(1);
});
