// Reliability, round 2 (issue 13), the cases that need real processes: a closed stdout (EPIPE), a
// signal before training starts, two runs into one folder, a real full disk (a 3 MB tmpfs, as root),
// and the native addon's argument checks (a bad call must throw, not crash the process).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCheckpoint } from '../lib/train/checkpoint';

const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'aae.js');
let root: string;
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-rel-cli-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

const SMALL = ['--model', 'supervised', '--prior', 'gaussian_mixture', '--n_z', '2', '--hidden', '32', '--batch-size', '20', '--train-size', '1000', '--eval-size', '300', '--seed', '7'];

interface Child {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts aae; `onStderr` sees the stderr so far (and the child) after every chunk. */
function start(args: string[], onStderr: (s: string, child: ReturnType<typeof spawn>) => void = () => {}, onStdout?: (s: string, child: ReturnType<typeof spawn>) => void) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (s: string) => {
    stdout += s;
    onStdout?.(stdout, child);
  });
  child.stdout!.on('error', () => {});
  child.stderr!.on('data', (s: string) => {
    stderr += s;
    onStderr(stderr, child);
  });
  const done = new Promise<Child>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}

test('7: a closed stdout (aae ... | head -1) neither stops the run nor its figures', async () => {
  const out = path.join(root, 'epipe');
  const { done } = start([...SMALL, '--epochs', '2', '--out', out, '--PMLR', 'false'], undefined, (s, child) => {
    // the reader goes away after the first line, as `head -1` does
    if (s.includes('\n') && !child.stdout!.destroyed) child.stdout!.destroy();
  });
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /EPIPE|^\s+at /m, r.stderr);
  for (const f of ['metrics.json', 'checkpoint.aae', 'restoration.png', 'training_curves.png']) assert.ok(fs.existsSync(path.join(out, f)), f);
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')).history.length, 2);
});

test('8: SIGINT before training starts: exit 130 with a message, no folder left behind', async () => {
  const out = path.join(root, 'early-sigint');
  let sent = false;
  // a long first evaluation (all 10,000 test images) between the backend line and training
  const args = SMALL.map((a, i) => (SMALL[i - 1] === '--eval-size' ? '10000' : a));
  const { done } = start([...args, '--epochs', '2', '--out', out], (s, child) => {
    if (!sent && /^backend: /m.test(s)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const r = await done;
  assert.ok(sent, r.stderr);
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /interrupted by SIGINT before training started; nothing was written/);
  assert.ok(!fs.existsSync(out), 'the folder it made is removed');
});

test('2: a second aae into the folder of a running one exits 2 naming the folder and the pid; the lock goes with the run', async () => {
  const out = path.join(root, 'two-runs');
  let second: ReturnType<typeof spawnSync> | null = null;
  let firstPid = 0;
  const { done } = start([...SMALL, '--epochs', '2', '--out', out, '--PMLR', 'false', '--PARR', 'false'], (s, child) => {
    if (!second && /progress: epoch 1\/2 batch 10\/50/.test(s)) {
      firstPid = child.pid!;
      second = spawnSync(process.execPath, [BIN, ...SMALL, '--epochs', '2', '--out', out, '--force'], { encoding: 'utf8' });
    }
  });
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.ok(second, 'the second run was started');
  const s = second as unknown as { status: number; stderr: string; stdout: string };
  assert.equal(s.status, 2, s.stderr);
  const lines = s.stderr.split('\n').filter((l) => l.trim());
  assert.equal(lines.length, 1, s.stderr);
  assert.match(lines[0], new RegExp(`--out ${out} is in use by another run \\(pid ${firstPid}`));
  assert.equal(readCheckpoint(path.join(out, 'checkpoint.aae')).header.trainer!.epoch, 2, "the first run's results are whole");
  assert.ok(!fs.existsSync(path.join(out, '.aae.lock')), 'the lock is removed at exit');
});

test('2: the lock is released when a run is interrupted by a signal', async () => {
  const out = path.join(root, 'signalled');
  let sent = false;
  const { done } = start([...SMALL, '--epochs', '2', '--out', out, '--PMLR', 'false', '--PARR', 'false'], (s, child) => {
    if (!sent && /progress: epoch 1\/2 batch 5\/50/.test(s)) {
      sent = true;
      assert.ok(fs.existsSync(path.join(out, '.aae.lock')), 'locked while running');
      child.kill('SIGTERM');
    }
  });
  const r = await done;
  assert.equal(r.code, 130, r.stderr);
  assert.ok(!fs.existsSync(path.join(out, '.aae.lock')));
});

test('1: a real full disk (3 MB tmpfs): exit 1, one line naming the file; the last good checkpoint and metrics agree', async (t) => {
  const why = process.platform !== 'linux' ? 'not Linux' : typeof process.getuid === 'function' && process.getuid() !== 0 ? 'not running as root (mount needs root)' : null;
  if (why) {
    console.log(`skipping the tmpfs full-disk test: ${why}`);
    t.skip(why);
    return;
  }
  const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-tmpfs-'));
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) {
    const reason = `mount -t tmpfs failed: ${(m.stderr || String(m.error)).trim()}`;
    console.log(`skipping the tmpfs full-disk test: ${reason}`);
    fs.rmdirSync(mnt);
    t.skip(reason);
    return;
  }
  try {
    const out = path.join(mnt, 'run');
    // ~450,000 floats (weights and Adam moments), ~1.8 MB per checkpoint: the first fits, the second (beside it) does not
    const r = spawnSync(
      process.execPath,
      [BIN, '--model', 'supervised', '--n_z', '2', '--hidden', '64', '--epochs', '2', '--batch-size', '50', '--train-size', '500', '--eval-size', '300', '--no-progress', '--out', out],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    const errs = r.stderr.split('\n').filter((l) => l.startsWith('aae: '));
    assert.equal(errs.length, 1, r.stderr);
    assert.match(errs[0], new RegExp(`aae: cannot write ${out}/checkpoint\\.aae: no space left on device \\(ENOSPC\\)`));
    const ck = readCheckpoint(path.join(out, 'checkpoint.aae'));
    assert.equal(ck.header.trainer!.epoch, 1);
    assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')).history.length, 1);
    assert.deepEqual(fs.readdirSync(out).sort(), ['checkpoint.aae', 'metrics.json'], 'no temporaries, no lock');
  } finally {
    spawnSync('umount', [mnt]);
    fs.rmdirSync(mnt);
  }
});

test('11: the native addon rejects sizes that overflow, exceed INT_MAX or are not integers (a JS error, no crash)', (t) => {
  let addonPath: string;
  try {
    addonPath = require.resolve(path.join(ROOT, 'native'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the addon is optional: loading it is the check
    require(addonPath);
  } catch (e) {
    t.skip(`native addon not built: ${(e as Error).message.split('\n')[0]}`);
    return;
  }
  // In a child process: a segfault there fails this test instead of killing the test runner.
  const script = `
    const a = require(${JSON.stringify(addonPath)});
    const F = (n) => new Float32Array(n);
    const cases = {
      overflow: () => a.fusedMatMul(F(16), F(16), F(16), 1, 2 ** 62, 4, 4, false, false, 0, 0, null, 0, 0),
      overflowBatch: () => a.fusedMatMul(F(16), F(16), F(16), 2 ** 62, 2, 2, 2, false, false, 4, 4, null, 0, 0),
      overflowStride: () => a.fusedMatMul(F(16), F(16), F(16), 3, 2, 2, 2, false, false, 2 ** 62, 0, null, 0, 0),
      intMax: () => a.fusedMatMul(F(16), F(16), F(16), 1, 2 ** 31, 1, 0, false, false, 0, 0, null, 0, 0),
      fraction: () => a.fusedMatMul(F(16), F(16), F(16), 1, 2.5, 2, 2, false, false, 0, 0, null, 0, 0),
      nan: () => a.fusedMatMul(F(16), F(16), F(16), 1, NaN, 2, 2, false, false, 0, 0, null, 0, 0),
      infinity: () => a.fusedMatMul(F(16), F(16), F(16), 1, Infinity, 2, 2, false, false, 0, 0, null, 0, 0),
      negative: () => a.fusedMatMul(F(16), F(16), F(16), 1, -2, 2, 2, false, false, 0, 0, null, 0, 0),
      tooSmall: () => a.fusedMatMul(F(16), F(16), F(3), 1, 2, 2, 2, false, false, 0, 0, null, 0, 0),
      biasGradOverflow: () => a.biasGrad(F(16), F(16), 2 ** 62, 4),
      biasGradFraction: () => a.biasGrad(F(16), F(16), 1.5, 4),
    };
    const out = {};
    for (const [k, f] of Object.entries(cases)) {
      try { f(); out[k] = 'no error'; } catch (e) { out[k] = e.message; }
    }
    // a correct call still works: [1 2; 3 4] x [1 0; 0 1]
    const o = F(4);
    a.fusedMatMul(Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 0, 0, 1), o, 1, 2, 2, 2, false, false, 0, 0, null, 0, 0);
    out.ok = Array.from(o).join(',');
    console.log(JSON.stringify(out));
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.signal, null, `the process crashed (${r.signal}): ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, string>;
  for (const k of ['overflow', 'overflowBatch', 'overflowStride', 'intMax', 'fraction', 'nan', 'infinity', 'negative', 'tooSmall', 'biasGradOverflow', 'biasGradFraction']) {
    assert.notEqual(out[k], 'no error', `${k} was accepted`);
    assert.match(out[k], /aae-lab-native|too small|integer|size/, `${k}: ${out[k]}`);
  }
  assert.match(out.fraction, /integer/);
  assert.match(out.intMax, /2147483647/);
  assert.equal(out.ok, '1,2,3,4');
});
