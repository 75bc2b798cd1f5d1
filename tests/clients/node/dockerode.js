// dockerode's own ways of running, attaching and exec'ing, each printed as one line that does
// not depend on ids or timing. tests/clients.rs runs this directly against dockerd and
// through sockeye and compares the transcripts line by line.
//
// Most of these calls use the header-less form of attach and exec start (no `Connection:
// Upgrade`): dockerd answers `200 OK` and streams until it closes the connection.
'use strict';

const Docker = require('dockerode');
const { Writable } = require('stream');

const IMAGE = process.env.SOCKEYE_TEST_IMAGE || 'sockeye-test/busybox:1';
const docker = new Docker(); // DOCKER_HOST from the environment
const created = [];

function sink() {
  const chunks = [];
  const w = new Writable({ write(c, _e, cb) { chunks.push(Buffer.from(c)); cb(); } });
  w.text = () => Buffer.concat(chunks).toString('utf8');
  return w;
}

// A step that cannot finish within this time has hung: report it instead of hanging.
function bounded(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after 60 s`)), 60000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function ended(stream) {
  return new Promise((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
}

async function create(opts) {
  const name = `sockeye-dockerode-${process.pid}-${created.length}-${Date.now()}`;
  const c = await docker.createContainer({ Image: IMAGE, name, ...opts });
  created.push(c);
  return c;
}

// Output of a multiplexed stream, split into stdout and stderr.
async function demuxed(stream) {
  const out = sink();
  const err = sink();
  docker.modem.demuxStream(stream, out, err);
  await ended(stream);
  return `stdout=${JSON.stringify(out.text())} stderr=${JSON.stringify(err.text())}`;
}

async function execOutput(exec, stream) {
  const text = await demuxed(stream);
  const info = await exec.inspect();
  return `${text} exit=${info.ExitCode}`;
}

const steps = {
  // docker.run(), callback form, with dockerode's defaults (Tty: true, legacy "VolumesFrom": []).
  'run-callback': () => new Promise((resolve, reject) => {
    const out = sink();
    docker.run(IMAGE, ['sh', '-c', 'echo out; echo err >&2; exit 2'], out, (err, data, container) => {
      if (container) created.push(container);
      if (err) return reject(err);
      resolve(`exit=${data.StatusCode} output=${JSON.stringify(out.text())}`);
    });
  }),

  // docker.run(), promise form, without a TTY: the stream is multiplexed.
  'run-promise': async () => {
    const out = sink();
    const err = sink();
    const [data, container] = await docker.run(IMAGE, ['sh', '-c', 'echo out; echo err >&2'], [out, err], { Tty: false });
    created.push(container);
    return `exit=${data.StatusCode} stdout=${JSON.stringify(out.text())} stderr=${JSON.stringify(err.text())}`;
  },

  // container.attach() as dockerode's README shows it: no hijack.
  'attach': async () => {
    const c = await create({ Cmd: ['sh', '-c', 'echo a; echo b >&2; exit 3'], AttachStdout: true, AttachStderr: true });
    const stream = await c.attach({ stream: true, stdout: true, stderr: true });
    await c.start();
    const text = await demuxed(stream);
    const waited = await c.wait();
    return `${text} exit=${waited.StatusCode}`;
  },

  // attach with logs=1 to a container that has already exited: the daemon writes what it
  // has and closes at once.
  'attach-logs': async () => {
    const c = await create({ Cmd: ['sh', '-c', 'echo logged'] });
    await c.start();
    await c.wait();
    const stream = await c.attach({ logs: true, stream: false, stdout: true, stderr: true });
    return demuxed(stream);
  },

  // exec.start() with no options, with {}, and with {stdin: true} (testcontainers' form).
  'exec-start-default': async () => {
    const c = await running();
    const exec = await c.exec({ Cmd: ['sh', '-c', 'echo eo; echo ee >&2; exit 4'], AttachStdout: true, AttachStderr: true });
    return execOutput(exec, await exec.start());
  },
  'exec-start-empty': async () => {
    const c = await running();
    const exec = await c.exec({ Cmd: ['sh', '-c', 'echo empty'], AttachStdout: true, AttachStderr: true });
    return execOutput(exec, await exec.start({}));
  },
  'exec-start-stdin': async () => {
    const c = await running();
    const exec = await c.exec({ Cmd: ['sh', '-c', 'echo with-stdin; exit 5'], AttachStdout: true, AttachStderr: true });
    const duplex = await exec.start({ stdin: true, Detach: false, Tty: false });
    return execOutput(exec, duplex);
  },

  // The upgraded form, with stdin written and then closed.
  'exec-start-hijack-stdin': async () => {
    const c = await running();
    const exec = await c.exec({ Cmd: ['cat'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const socket = await exec.start({ hijack: true, stdin: true });
    const result = execOutput(exec, socket);
    socket.end('piped\n');
    return result;
  },

  'exec-start-detach': async () => {
    const c = await running();
    const exec = await c.exec({ Cmd: ['touch', '/tmp/detached'] });
    await exec.start({ Detach: true });
    for (let i = 0; i < 100; i++) {
      const info = await exec.inspect();
      if (!info.Running && info.ExitCode !== null) return `exit=${info.ExitCode}`;
      await new Promise((r) => setTimeout(r, 100));
    }
    return 'still running after 10 s';
  },

  // The daemon's error for a hijack route it refuses after hijacking.
  'attach-missing': async () => {
    try {
      await docker.getContainer('sockeye-no-such-container').attach({ stream: true, stdout: true });
      return 'attached?';
    } catch (e) {
      return `status=${e.statusCode} message=${JSON.stringify(String(e.json || e.message).trim())}`;
    }
  },
};

let sleeper;
async function running() {
  if (!sleeper) {
    sleeper = await create({ Cmd: ['sleep', '300'] });
    await sleeper.start();
  }
  return sleeper;
}

async function main() {
  await docker.ping();
  for (const [name, step] of Object.entries(steps)) {
    try {
      console.log(`${name}: ${await bounded(step(), name)}`);
    } catch (e) {
      console.log(`${name}: error: ${e.statusCode || ''} ${String(e.message).trim()}`);
    }
  }
  for (const c of created) {
    await c.remove({ force: true }).catch(() => {});
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(`dockerode: cannot run: ${e.message}`);
  process.exit(1);
});
