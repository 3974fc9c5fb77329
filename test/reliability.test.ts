// Reliability, round 2 (issue 13): full disks, run-folder locks, --force, prior-match seeds, resume and
// option checks, one-line errors, the ConfigError class, the library's input checks and npm's
// allowScripts. The CLIs are called in-process (main / resultsMain) with stdout and stderr captured;
// the child-process cases (EPIPE, signals, a second process, a real full tmpfs) are in
// reliability-cli.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../lib/backend';
import * as config from '../lib/models/config';
import * as schedule from '../lib/train/schedule';
import { makeConfig, createModel } from '../lib/models';
import * as mnistLib from '../lib/data/mnist';
import * as batches from '../lib/data/batches';
import { setAtomicWriteHook, type WriteHook } from '../lib/atomic-write';
import { loadCheckpoint, readCheckpoint, writeFileAtomic, CheckpointError } from '../lib/train/checkpoint';
import { resumeExperiment } from '../lib/train/setup';
import * as evalResults from '../lib/eval/results';
import { readResults, resultsMarkdown } from '../lib/eval/results';
import { main } from '../lib/cli/aae';
import { resultsMain } from '../lib/cli/aae-results';
import { capture, type Run } from './capture';
import { editHeader } from './checkpoint-header';

const ROOT = path.join(__dirname, '..');
let root: string;
let sleeper: ChildProcess;
before(async () => {
  await initBackend();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-rel-'));
  // A running process that is not us: the holder of a "live" lock.
  sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
});
after(() => {
  sleeper.kill();
  fs.rmSync(root, { recursive: true, force: true });
});

const setHook = (f: WriteHook | null) => setAtomicWriteHook(f);
const enospc = (code = 'ENOSPC', text = 'no space left on device') => Object.assign(new Error(`${code}: ${text}, write`), { code, syscall: 'write' });

const aae = (args: string[]) => capture(() => main(args));
const results = (args: string[]) => capture(() => resultsMain(args));

/** A tiny supervised run: 4 batches per epoch. */
const TINY = [
  '--model',
  'supervised',
  '--prior',
  'gaussian_mixture',
  '--n_z',
  '2',
  '--hidden',
  '16',
  '--batch-size',
  '50',
  '--train-size',
  '200',
  '--eval-size',
  '100',
  '--seed',
  '3',
  '--no-progress',
  '--PMLR',
  'false',
  '--PARR',
  'false',
];

function assertOneLine(r: Run, code: number, ...patterns: RegExp[]): void {
  const what = `exit ${r.code}, stderr: ${r.err}`;
  assert.equal(r.code, code, what);
  const errorLines = r.lines.filter((l) => !/^(backend|hint|note|resuming|before training|epoch|wrote)\b/.test(l));
  assert.equal(errorLines.length, 1, `one error line: ${what}`);
  for (const p of patterns) assert.match(errorLines[0], p, what);
  assert.doesNotMatch(r.err, /^\s+at /m, `no stack trace: ${what}`);
}

const tmpFiles = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));

let tinyRun: string; // a finished 2-epoch run of TINY
async function finishedRun(): Promise<string> {
  if (tinyRun) return tinyRun;
  const out = path.join(root, 'tiny');
  const r = await aae([...TINY, '--epochs', '2', '--out', out]);
  assert.equal(r.code, 0, r.err);
  tinyRun = out;
  return out;
}

function copyRun(name: string, src: string): string {
  const d = path.join(root, name);
  fs.cpSync(src, d, { recursive: true });
  return d;
}

// ------------------------------------------------------------------ 1. full disk

test('1: writeFileAtomic loops over short writes; a failed or short write keeps the old file and leaves no temporary', () => {
  const dir = path.join(root, 'atomic');
  fs.mkdirSync(dir);
  const file = path.join(dir, 'f.bin');
  const data = Buffer.from(Array.from({ length: 10000 }, (_, i) => i % 251));
  try {
    // 7 bytes per call: every byte still arrives
    const calls: number[] = [];
    setHook((_f, fd, d, off, len) => {
      const n = Math.min(7, len);
      calls.push(n);
      return fs.writeSync(fd, d, off, n);
    });
    writeFileAtomic(file, data);
    assert.ok(calls.length > 1000, `short writes looped (${calls.length} calls)`);
    assert.deepEqual(fs.readFileSync(file), data);

    // half written, then the disk is full: the old file stays, the temporary is removed
    let written = 0;
    setHook((_f, fd, d, off, len) => {
      if (written >= 4000) throw enospc();
      const n = fs.writeSync(fd, d, off, Math.min(len, 4000 - written));
      written += n;
      return n;
    });
    assert.throws(
      () => writeFileAtomic(file, Buffer.alloc(9000, 1)),
      (e: Error) => {
        assert.match(e.message, /cannot write .*f\.bin: no space left on device \(ENOSPC\)/);
        assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
        return true;
      },
    );
    assert.deepEqual(fs.readFileSync(file), data, 'the old file is kept');
    assert.deepEqual(tmpFiles(dir), []);

    // a write that makes no progress is an error, not an endless loop
    setHook(() => 0);
    assert.throws(() => writeFileAtomic(file, 'new'), /cannot write .*f\.bin/);
    // a write that claims more than reached the disk: the size check before the rename catches it
    setHook((_f, fd, d, off, len) => {
      fs.writeSync(fd, d, off, Math.max(0, len - 3));
      return len;
    });
    assert.throws(() => writeFileAtomic(file, Buffer.alloc(500, 2)), /cannot write .*f\.bin: .*497 of 500 bytes/);
    assert.deepEqual(fs.readFileSync(file), data);
    assert.deepEqual(tmpFiles(dir), []);
  } finally {
    setHook(null);
  }
});

test('1: aae on a full disk: exit 1 with one line naming the file and the cause; metrics.json claims only checkpointed epochs', async () => {
  const out = path.join(root, 'full-disk');
  let ckptWrites = 0;
  setHook((f, fd, d, off, len) => {
    if (path.basename(f) === 'checkpoint.aae' && off === 0 && ckptWrites++ === 1) {
      // the second checkpoint: part of it, then ENOSPC
      fs.writeSync(fd, d, 0, 1000);
      throw enospc();
    }
    return fs.writeSync(fd, d, off, len);
  });
  let r: Run;
  try {
    r = await aae([...TINY, '--epochs', '3', '--out', out]);
  } finally {
    setHook(null);
  }
  assertOneLine(r, 1, /^aae: cannot write .*full-disk\/checkpoint\.aae: no space left on device \(ENOSPC\)/);
  const ck = readCheckpoint(path.join(out, 'checkpoint.aae'));
  assert.equal(ck.header.trainer!.epoch, 1, 'the checkpoint of epoch 1 is kept whole');
  const m = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
  assert.equal(m.history.length, 1, 'metrics.json claims no epoch without its checkpoint');
  assert.deepEqual(tmpFiles(out), []);
  assert.ok(!fs.existsSync(path.join(out, '.aae.lock')), 'the lock is released');
  // --resume continues from the good checkpoint
  const resumed = await aae(['--resume', '--out', out, '--eval-size', '100', '--no-progress', '--PMLR', 'false', '--PARR', 'false']);
  assert.equal(resumed.code, 0, resumed.err);
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')).history.length, 3);
});

test('1: figures and result files go through the atomic path: a full disk there is one line, exit 1', async () => {
  const run = await finishedRun();
  // figures: the PNG of the restoration figure
  const out = copyRun('full-disk-fig', run);
  setHook((f, fd, d, off, len) => {
    if (path.basename(f) === 'restoration.png') throw enospc('EDQUOT', 'disk quota exceeded');
    return fs.writeSync(fd, d, off, len);
  });
  let r: Run;
  try {
    r = await aae([...TINY, '--epochs', '2', '--out', out, '--resume']);
  } finally {
    setHook(null);
  }
  assertOneLine(r, 1, /cannot write .*full-disk-fig\/restoration\.png: disk quota exceeded \(EDQUOT\)/);
  assert.deepEqual(tmpFiles(out), []);
  // result files of aae-results
  const resDir = path.join(root, 'full-disk-results');
  setHook((f, fd, d, off, len) => {
    if (f.endsWith('.json')) throw enospc('EIO', 'i/o error');
    return fs.writeSync(fd, d, off, len);
  });
  try {
    r = await results(['prior-match', '--prior', 'gaussian_mixture', '--from', path.join(run, 'checkpoint.aae'), '--max-samples', '100', '--results', resDir]);
  } finally {
    setHook(null);
  }
  assertOneLine(r, 1, /cannot write .*full-disk-results\/prior-match-.*\.json: i\/o error \(EIO\)/);
  assert.deepEqual(
    fs.readdirSync(resDir).filter((f) => !f.startsWith('.')),
    [],
  );
});

// ------------------------------------------------------------------ 2. run-folder lock

test('2: a run folder is locked: a live holder stops a second run (exit 2, folder and pid named); a dead one is taken over', async () => {
  const dir = path.join(root, 'locked');
  fs.mkdirSync(dir);
  const lockFile = path.join(dir, '.aae.lock');
  // the library
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lockLib = require('../lib/lock');
  const lock = lockLib.acquireLock(lockFile, `--out ${dir}`);
  assert.equal(fs.readFileSync(lockFile, 'utf8').trim(), String(process.pid));
  lock.release();
  assert.ok(!fs.existsSync(lockFile));
  fs.writeFileSync(lockFile, `${sleeper.pid}\n`);
  assert.throws(
    () => lockLib.acquireLock(lockFile, `--out ${dir}`),
    (e: Error) => e instanceof lockLib.LockError && new RegExp(`pid ${sleeper.pid}`).test(e.message),
  );
  // the CLI: exit 2, nothing written, the other run's lock left alone
  let r = await aae([...TINY, '--epochs', '1', '--out', dir]);
  assertOneLine(r, 2, new RegExp(`--out ${dir} is in use by another run \\(pid ${sleeper.pid}`));
  assert.deepEqual(fs.readdirSync(dir), ['.aae.lock']);
  assert.equal(fs.readFileSync(lockFile, 'utf8').trim(), String(sleeper.pid));
  // a lock left by a process that died is taken over, with a message
  const dead = 2 ** 22 + 17;
  fs.writeFileSync(lockFile, `${dead}\n`);
  r = await aae([...TINY, '--epochs', '1', '--out', dir]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, new RegExp(`taking over the stale lock .*\\.aae\\.lock of pid ${dead}`));
  assert.ok(!fs.existsSync(lockFile), 'released at the end of the run');
  // a run that fails also releases its lock
  r = await aae([...TINY, '--epochs', '1', '--out', dir]);
  assert.equal(r.code, 2);
  assert.ok(!fs.existsSync(lockFile));
});

test('2: aae-results locks its run folder and result file', async () => {
  const run = await finishedRun();
  const resDir = path.join(root, 'locked-results');
  const runs = path.join(root, 'locked-runs');
  fs.mkdirSync(resDir);
  const name = (evalResults as any).priorMatchResultName('gaussian_mixture', 1, 0, 2, { nHidden: 8, trainSize: 200 });
  fs.writeFileSync(path.join(resDir, `.${name}.lock`), `${sleeper.pid}\n`);
  let r = await results(['prior-match', '--prior', 'gaussian_mixture', '--epochs', '1', '--hidden', '8', '--train-size', '200', '--results', resDir, '--runs', runs]);
  assertOneLine(r, 2, new RegExp(`${name.replace(/\./g, '\\.')} is in use by another run \\(pid ${sleeper.pid}`));
  assert.ok(!fs.existsSync(path.join(resDir, name)));
  r = await results(['prior-match', '--prior', 'gaussian_mixture', '--from', path.join(run, 'checkpoint.aae'), '--results', resDir]);
  // the checkpoint's model: seed 3, 2 epochs; its result file is another one, not locked
  assert.equal(r.code, 0, r.err);
  const other = (evalResults as any).priorMatchResultName('gaussian_mixture', 2, 3, 2, { nHidden: 16, batchSize: 50, trainSize: 200 });
  fs.writeFileSync(path.join(resDir, `.${other}.lock`), `${sleeper.pid}\n`);
  r = await results(['prior-match', '--prior', 'gaussian_mixture', '--from', path.join(run, 'checkpoint.aae'), '--results', resDir, '--force']);
  assertOneLine(r, 2, /is in use by another run/);
});

// ------------------------------------------------------------------ 3. --force

test('3: --force removes every file aae writes in the folder, and nothing else', async () => {
  const out = copyRun('forced', await finishedRun());
  const earlier = ['manifold.png', 'manifold.svg', 'manifold.interactive.vl.json', 'conditional_generation.png', 'conditional_generation.svg', 'latent_scatter.png', 'prior_samples.svg'];
  for (const f of earlier) fs.writeFileSync(path.join(out, f), 'earlier run');
  fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
  fs.mkdirSync(path.join(out, 'data'));
  const r = await aae([...TINY, '--epochs', '1', '--out', out, '--force']);
  assert.equal(r.code, 0, r.err);
  const left = fs.readdirSync(out).sort();
  for (const f of ['manifold.png', 'manifold.svg', 'manifold.interactive.vl.json', 'conditional_generation.png', 'conditional_generation.svg']) {
    assert.ok(!left.includes(f), `${f} of the earlier run is removed: ${left.join(', ')}`);
  }
  for (const f of ['latent_scatter.png', 'prior_samples.svg']) assert.notEqual(fs.readFileSync(path.join(out, f), 'utf8'), 'earlier run', `${f} is this run's`);
  assert.equal(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8'), 'mine', "the user's file stays");
  assert.ok(fs.statSync(path.join(out, 'data')).isDirectory());
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')).history.length, 1);
});

// ------------------------------------------------------------------ 4. prior-match --from

test('4: prior-match --from takes the seed from the checkpoint; n_z is in the result name; committed results still load', async () => {
  const run = await finishedRun(); // seed 3
  const resDir = path.join(root, 'pm-seed');
  const from = ['prior-match', '--prior', 'gaussian_mixture', '--from', path.join(run, 'checkpoint.aae'), '--max-samples', '200', '--results', resDir];
  let r = await results(from);
  assert.equal(r.code, 0, r.err);
  // the checkpoint's sizes (TINY's batch of 50, layers of 16 and 200 training images) are in the name
  const name = (evalResults as any).priorMatchResultName('gaussian_mixture', 2, 3, 2, { nHidden: 16, batchSize: 50, trainSize: 200 });
  assert.equal(name, 'prior-match-gaussian_mixture-z2-e2-bs50-h16-ts200-seed3.json');
  const p = JSON.parse(fs.readFileSync(path.join(resDir, name), 'utf8'));
  assert.deepEqual([p.seed, p.config.seed, p.nZ], [3, 3, 2]);
  r = await results([...from, '--seed', '0', '--force']);
  assertOneLine(r, 2, /--seed 0: the model of .*checkpoint\.aae was trained with seed 3 \(leave --seed out\)/);
  r = await results([...from, '--seed', '3', '--force']);
  assert.equal(r.code, 0, r.err);
  // the committed result files are named as the tool names them now, and still make the same table
  const committed = fs.readdirSync(path.join(ROOT, 'results')).filter((f) => f.startsWith('prior-match-'));
  assert.equal(committed.length, 3);
  for (const f of committed) {
    const c = JSON.parse(fs.readFileSync(path.join(ROOT, 'results', f), 'utf8'));
    assert.equal(f, (evalResults as any).priorMatchResultName(c.prior, c.epochs, c.seed, c.nZ));
  }
  const md = resultsMarkdown(readResults(path.join(ROOT, 'results')));
  for (const prior of ['gaussian', 'gaussian_mixture', 'swiss_roll']) assert.match(md, new RegExp(`\\| ${prior} \\| 2 \\| fast \\(checkpoint\\) \\| 10 \\| 1 \\| `));
  // older names (no n_z) still load and pool
  const old = path.join(root, 'pm-old');
  fs.mkdirSync(old);
  fs.copyFileSync(path.join(resDir, name), path.join(old, 'prior-match-gaussian_mixture-e2-seed3.json'));
  assert.equal(readResults(old).priorMatch.length, 1);
});

// ------------------------------------------------------------------ 5, 6. resume with fewer epochs, --out ''

test('5: --resume with --epochs below the epochs trained is refused (exit 2), nothing changes', async () => {
  const out = copyRun('fewer', await finishedRun());
  const before = fs.readFileSync(path.join(out, 'metrics.json'));
  const r = await aae(['--resume', '--out', out, '--epochs', '1']);
  assertOneLine(r, 2, /--resume: --epochs 1 is below the 2 epochs the checkpoint .*checkpoint\.aae has trained; valid: 2 to 10000/);
  assert.deepEqual(fs.readFileSync(path.join(out, 'metrics.json')), before);
  // the library refuses the same
  assert.throws(() => resumeExperiment(path.join(out, 'checkpoint.aae'), {}, undefined, 1), /epochs 1 is below the 2 epochs/);
});

test("6: --out '' (and aae-results --results '' / --runs '') is refused with exit 2", async () => {
  const cwd = fs.readdirSync(process.cwd()).sort();
  const r = await aae([...TINY, '--out', '']);
  assertOneLine(r, 2, /--out ''/, /empty/);
  for (const opt of ['--results', '--runs']) {
    const q = await results(['prior-match', '--prior', 'gaussian', opt, '']);
    assertOneLine(q, 2, new RegExp(`${opt} ''`), /empty/);
  }
  assert.deepEqual(fs.readdirSync(process.cwd()).sort(), cwd);
});

// ------------------------------------------------------------------ 7. one-line errors

test('7: damaged result file, --results naming a file or nothing, too few training images, a checkpoint history that is no list: one line each', async () => {
  // a damaged result file in the way of classify
  const resDir = path.join(root, 'damaged-results');
  fs.mkdirSync(resDir);
  const name = evalResults.classifyResultName(100, 1, 0, { nHidden: 8, trainSize: 200 });
  fs.writeFileSync(path.join(resDir, name), '{"kind": "semi-supervised-classification", "compl');
  let r = await results(['classify', '--labels', '100', '--epochs', '1', '--hidden', '8', '--train-size', '200', '--results', resDir, '--runs', path.join(root, 'dr-runs')]);
  assertOneLine(r, 1, new RegExp(`${name.replace(/\./g, '\\.')} is not a readable result file`), /--force/);
  // --results naming a file
  const file = path.join(root, 'a-file.txt');
  fs.writeFileSync(file, 'x');
  r = await results(['table', '--results', file]);
  assertOneLine(r, 2, /--results .*a-file\.txt is a file, not a folder/);
  // --runs or --results naming a file, or a path through one: exit 2 before training, one line
  const tiny = ['classify', '--labels', '100', '--epochs', '2', '--lr-drop', '1', '--hidden', '8', '--train-size', '200', '--eval-size', '100', '--no-progress'];
  r = await results([...tiny, '--results', path.join(root, 'fr-results'), '--runs', file]);
  assertOneLine(r, 2, /--runs .*a-file\.txt is a file, not a folder; valid: a folder path/);
  r = await results([...tiny, '--results', path.join(file, 'sub'), '--runs', path.join(root, 'fr-runs')]);
  assertOneLine(r, 2, /--results .*a-file\.txt\/sub: .*a-file\.txt is a file, not a folder/);
  assert.ok(!fs.existsSync(path.join(root, 'fr-results')) && !fs.existsSync(path.join(root, 'fr-runs')), 'nothing written');
  // a folder that cannot be made (here under /proc): exit 1, one line naming it
  r = await results([...tiny, '--results', path.join(root, 'fr-results'), '--runs', '/proc/aae-lab-test/runs']);
  assertOneLine(r, 1, /cannot write \/proc\/aae-lab-test/);
  // --results naming no folder at all (a mistyped path): not an empty table
  r = await results(['table', '--results', path.join(root, 'no-such-results')]);
  assertOneLine(r, 2, /--results .*no-such-results: no such folder; valid: the folder of the result files/);
  // MNIST files that are valid but hold fewer training images than the validation split
  const real = mnistLib.defaultMnistDir();
  const small = path.join(root, 'mnist-small');
  fs.mkdirSync(small);
  const imgs = fs.readFileSync(path.join(real, 'train-images-idx3-ubyte'));
  const labs = fs.readFileSync(path.join(real, 'train-labels-idx1-ubyte'));
  const n = 3000;
  const ih = Buffer.from(imgs.subarray(0, 16));
  ih.writeUInt32BE(n, 4);
  fs.writeFileSync(path.join(small, 'train-images-idx3-ubyte'), Buffer.concat([ih, imgs.subarray(16, 16 + n * 784)]));
  const lh = Buffer.from(labs.subarray(0, 8));
  lh.writeUInt32BE(n, 4);
  fs.writeFileSync(path.join(small, 'train-labels-idx1-ubyte'), Buffer.concat([lh, labs.subarray(8, 8 + n)]));
  for (const f of ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) fs.symlinkSync(path.join(real, f), path.join(small, f));
  const out = path.join(root, 'out-small-mnist');
  const env = process.env.AAE_MNIST_DIR;
  process.env.AAE_MNIST_DIR = small;
  try {
    r = await aae([...TINY, '--out', out]);
  } finally {
    if (env === undefined) delete process.env.AAE_MNIST_DIR;
    else process.env.AAE_MNIST_DIR = env;
  }
  assertOneLine(r, 1, /train-images-idx3-ubyte holds 3000 training images/, /5000 validation images/);
  assert.ok(!fs.existsSync(out), 'no empty --out is left');
  // checkpoints with a history that is no list, a negative epoch, an absurd batch size
  const damaged: [string, (h: Record<string, any>) => void, RegExp][] = [
    ['history', (h) => (h.trainer.history = 5), /history/],
    ['epoch', (h) => (h.trainer.epoch = -1), /epoch/],
    ['batch', (h) => (h.config.batchSize = 1e9), /batchSize/],
  ];
  for (const [what, edit, p] of damaged) {
    const d = copyRun(`bad-ckpt-${what}`, await finishedRun());
    editHeader(path.join(d, 'checkpoint.aae'), edit);
    assert.throws(
      () => loadCheckpoint(path.join(d, 'checkpoint.aae')),
      (e: Error) => e instanceof CheckpointError && p.test(e.message),
    );
    r = await aae(['--resume', '--out', d, '--epochs', '3']);
    assertOneLine(r, 1, /checkpoint .*checkpoint\.aae/, p);
  }
});

// ------------------------------------------------------------------ 8. messages and exit codes

test('8: --lr-drop with a 1-epoch run names a way out; a damaged --from checkpoint is exit 1 in aae-results as in aae', async () => {
  let r = await aae(['--epochs', '1', '--lr-drop', '5', '--out', path.join(root, 'never')]);
  assertOneLine(r, 2, /--lr-drop 5/, /a run of 1 epoch has no learning-rate drop/);
  assert.doesNotMatch(r.err, /1 to 0/);
  const d = copyRun('damaged-from', await finishedRun());
  const f = path.join(d, 'checkpoint.aae');
  const bytes = fs.readFileSync(f);
  bytes[bytes.length - 10] ^= 1;
  fs.writeFileSync(f, bytes);
  r = await results(['prior-match', '--prior', 'gaussian_mixture', '--from', f, '--results', path.join(root, 'never-results')]);
  assertOneLine(r, 1, /CRC-32 mismatch/);
  r = await aae(['--resume', '--out', d]);
  assertOneLine(r, 1, /CRC-32 mismatch/);
});

// ------------------------------------------------------------------ 9. silently accepted options

test('9: a repeated option, --pmlr against --PMLR, semi-supervised options with --model supervised: exit 2, one line', async () => {
  const out = path.join(root, 'never');
  const cases: [string[], RegExp[]][] = [
    [
      ['--model', 'supervised', '--model', 'semi_supervised'],
      [/--model/, /given twice|more than once/],
    ],
    [
      ['--seed', '1', '--seed', '2'],
      [/--seed/, /given twice|more than once/],
    ],
    [
      ['--PMLR', 'false', '--pmlr', 'true'],
      [/--PMLR false/, /--pmlr true/],
    ],
    [
      ['--PARR', 'true', '--parr', 'false'],
      [/--PARR true/, /--parr false/],
    ],
    [
      ['--model', 'supervised', '--n_z', '2', '--labels', '100'],
      [/--labels/, /semi-supervised/, /--model supervised/],
    ],
    [
      ['--model', 'supervised', '--n_z', '2', '--labeled-noise', '0.3'],
      [/--labeled-noise/, /semi-supervised/],
    ],
    [
      ['--model', 'supervised', '--n_z', '2', '--labeled-shift', '2'],
      [/--labeled-shift/, /semi-supervised/],
    ],
    [
      ['--model', 'supervised', '--n_z', '2', '--labeled-from', 'balanced'],
      [/--labeled-from/, /semi-supervised/],
    ],
  ];
  for (const [args, patterns] of cases) {
    // (sizes that keep it quick, were the options accepted)
    const r = await aae([...args, '--train-size', '100', '--hidden', '8', '--epochs', '1', '--eval-size', '50', '--no-progress', '--out', out]);
    assertOneLine(r, 2, ...patterns);
    assert.equal(r.out, '');
    assert.ok(!fs.existsSync(out));
  }
  // the same options agreeing are fine as before
  const r = await aae(['--PMLR', 'false', '--pmlr', 'false', '--epochs', '0', '--out', out]);
  assert.doesNotMatch(r.err, /--pmlr/);
  const q = await results([
    'classify',
    '--seed',
    '1',
    '--seed',
    '2',
    '--epochs',
    '1',
    '--hidden',
    '8',
    '--train-size',
    '200',
    '--labels',
    '100',
    '--results',
    path.join(root, 'never-r'),
    '--runs',
    path.join(root, 'never-r'),
  ]);
  assert.equal(q.code, 2, q.err);
  assert.match(q.lines[0], /--seed/);
  assert.match(q.lines[0], /given twice|more than once/);
  // a resumed supervised run refuses the semi-supervised options too
  const run = await finishedRun();
  const s = await aae(['--resume', '--out', run, '--labeled-noise', '0.5']);
  assertOneLine(s, 2, /--labeled-noise/, /semi-supervised/);
});

// ------------------------------------------------------------------ 10. ConfigError

test('10: validation throws ConfigError; only that is exit 2 (a V8 RangeError is not a bad option)', async () => {
  const ConfigError = (config as any).ConfigError;
  assert.equal(typeof ConfigError, 'function');
  const isConfig = (f: () => unknown) => assert.throws(f, (e: Error) => e instanceof ConfigError && e.name === 'ConfigError');
  isConfig(() => makeConfig({ nZ: 0 }));
  isConfig(() => makeConfig({ prior: 'laplace' as never }));
  isConfig(() => schedule.lrDropAt([{ from: 0, lr: 1 }], 3));
  isConfig(() => batches.balancedSubset([1, 2], 15, null as never));
  isConfig(() => createModel({ ...makeConfig(), nHidden: 0 }));
  const run = await finishedRun();
  // an internal RangeError while writing the result: not reported as a bad option
  setHook(() => {
    throw new RangeError('Invalid typed array length: -1');
  });
  try {
    await assert.rejects(
      resultsMain(['prior-match', '--prior', 'gaussian_mixture', '--from', path.join(run, 'checkpoint.aae'), '--max-samples', '100', '--results', path.join(root, 'rangeerror')]),
      (e: Error) => e instanceof RangeError && !(e instanceof ConfigError),
    );
  } finally {
    setHook(null);
  }
});

// ------------------------------------------------------------------ 12. library input checks

test('12: library calls reject nonsense arguments with a ConfigError naming the argument and the valid range', () => {
  const ConfigError = (config as any).ConfigError;
  const rejects = (f: () => unknown, ...patterns: RegExp[]) =>
    assert.throws(f, (e: Error) => {
      assert.ok(e instanceof ConfigError, `${e.name}: ${e.message}`);
      for (const p of patterns) assert.match(e.message, p);
      return true;
    });
  rejects(() => mnistLib.loadMnist(undefined, 70000), /validationSize/, /70000/, /0 to 59999/);
  rejects(() => mnistLib.loadMnist(undefined, -1), /validationSize/);
  const set = mnistLib.loadMnist().test;
  rejects(() => mnistLib.subset(set, 5, 2), /subset/, /5/, /2/, /0 to 10000/);
  rejects(() => mnistLib.subset(set, 0, 10001), /subset/);
  rejects(() => batches.oneHot([3, 12]), /oneHot/, /labels\[1\] is 12/, /0 to 9/);
  rejects(() => batches.batchesPerEpoch(100, 0), /batchesPerEpoch/, /batch size/, /got 0/);
  rejects(() => makeConfig({ seed: -5 }), /seed/, /-5/, /0 to 2147483647/);
  rejects(() => makeConfig({ seed: 1.5 }), /seed/);
  assert.equal(mnistLib.subset(set, 2, 5).count, 3);
  assert.equal(batches.batchesPerEpoch(100, 30), 3);
});

test('12: loadCheckpoint checks the types of its expectations (no "nZ = 2, not 2")', async () => {
  const f = path.join(await finishedRun(), 'checkpoint.aae');
  assert.throws(
    () => loadCheckpoint(f, { nZ: '2' as never }),
    (e: Error) => e instanceof (config as any).ConfigError && /expect\.nZ must be an integer, got "2" \(a string\)/.test(e.message),
  );
  assert.throws(() => loadCheckpoint(f, { prior: 'gaussian' }), /trained with prior = gaussian_mixture, not gaussian$/);
  assert.throws(() => loadCheckpoint(f, { nZ: 4 }), /nZ = 2, not 4/);
});

// ------------------------------------------------------------------ 13. npm allowScripts

test('13: package.json declares every install script for npm 11 allowScripts (nothing pending)', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.equal(typeof pkg.allowScripts, 'object', 'package.json has an allowScripts field');
  const r = spawnSync('npm', ['approve-scripts', '--allow-scripts-pending'], { cwd: ROOT, encoding: 'utf8' });
  if (r.error || /Unknown command/i.test(r.stdout + r.stderr)) {
    console.log(`npm ${spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim()} has no approve-scripts: checking the field only`);
  } else {
    assert.match(r.stdout + r.stderr, /No packages with unreviewed install scripts/);
  }
  for (const name of ['core-js', 'esbuild', 'zeromq']) assert.equal(pkg.allowScripts[name], true, name);
  assert.ok(
    Object.entries(pkg.allowScripts).some(([k, v]) => /native/.test(k) && v === true),
    'the native addon',
  );
});

/** A tiny semi-supervised result run (100 labels, 8 units, 200 training images), its result in `results`, its run folder in `runs`. */
const tinyClassify = (epochs: number, resultsDir: string, runs: string, drop = 1) => [
  'classify',
  '--labels',
  '100',
  '--seed',
  '1',
  '--hidden',
  '8',
  '--train-size',
  '200',
  '--eval-size',
  '100',
  '--lr-drop',
  String(drop),
  '--no-progress',
  ...(epochs ? ['--epochs', String(epochs)] : []),
  '--results',
  resultsDir,
  '--runs',
  runs,
];

test('14: `aae-results --resume` with a larger --epochs continues the shorter run: as a run started for that many, the shorter run kept', async () => {
  const dir = path.join(root, 'longer');
  const args = (epochs: number, where: string, drop = 1) => tinyClassify(epochs, path.join(dir, where, 'results'), path.join(dir, where, 'runs'), drop);
  const name = (e: number) => `semi-supervised-N100-e${e}-ld1-h8-ts200-seed1`;
  const read = (where: string, e: number) => JSON.parse(fs.readFileSync(path.join(dir, where, 'results', `${name(e)}.json`), 'utf8')) as evalResults.ClassifyResult;
  // the reference: 3 epochs in one go (the rate drops after epoch 1)
  assert.equal((await results(args(3, 'ref'))).code, 0);
  // 2 epochs, then --resume --epochs 3
  assert.equal((await results(args(2, 'cont'))).code, 0);
  const shortFile = path.join(dir, 'cont', 'results', `${name(2)}.json`);
  const shortCkpt = path.join(dir, 'cont', 'runs', name(2), 'checkpoint.aae');
  const before = [fs.readFileSync(shortFile), fs.readFileSync(shortCkpt)];
  // without --epochs the command names the preset's 100 epochs: refused, naming the run found
  assertOneLine(await results([...args(0, 'cont'), '--resume']), 2, /--resume: no checkpoint .*e100.*; .*e2-ld1-h8-ts200-seed1 holds this run for 2 epochs: give --epochs 2 to continue it, or more/);
  // another learning-rate drop is another run: nothing to continue
  assertOneLine(await results([...args(3, 'cont', 2), '--resume']), 2, /--resume: no checkpoint .*e3-ld2-.* to continue from/);
  const r = await results([...args(3, 'cont'), '--resume']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /note: continuing .*e2-ld1-h8-ts200-seed1 \(2 epochs trained\) to 3 epochs in .*e3-ld1-h8-ts200-seed1; .* stays as it is/);
  const [ref, cont] = [read('ref', 3), read('cont', 3)];
  assert.equal(cont.continues, name(2));
  assert.equal(ref.continues, undefined);
  assert.deepEqual(
    cont.history.map((h) => [h.epoch, h.lr, h.val_error, h.test_error, h.train_reconstruction]),
    ref.history.map((h) => [h.epoch, h.lr, h.val_error, h.test_error, h.train_reconstruction]),
  );
  assert.equal(cont.testError, ref.testError);
  assert.deepEqual([cont.epochs, cont.complete], [3, true]);
  assert.ok(cont.wallSeconds > read('cont', 2).wallSeconds, "the shorter run's time is counted");
  assert.deepEqual([fs.readFileSync(shortFile), fs.readFileSync(shortCkpt)], before, 'the shorter run stays as it is');
  // its weights end as the reference's
  const [a, b] = [readCheckpoint(path.join(dir, 'ref', 'runs', name(3), 'checkpoint.aae')), readCheckpoint(path.join(dir, 'cont', 'runs', name(3), 'checkpoint.aae'))];
  assert.ok(
    a.floats.length > 0 && Buffer.from(a.floats.buffer, a.floats.byteOffset, a.floats.byteLength).equals(Buffer.from(b.floats.buffer, b.floats.byteOffset, b.floats.byteLength)),
    'the same weights and optimizer state',
  );
  // without the shorter run's result file its time comes from its checkpoint's epochs
  fs.renameSync(path.join(dir, 'cont', 'results', `${name(3)}.json`), path.join(dir, 'e3.json'));
  assert.equal((await results([...args(4, 'cont'), '--resume'])).code, 0);
  const epochSeconds = cont.history.reduce((sum, h) => sum + h.seconds, 0);
  const wall4 = read('cont', 4).wallSeconds;
  assert.ok(wall4 > epochSeconds && wall4 < cont.wallSeconds + epochSeconds, `the 3-epoch run's epochs counted once: ${wall4} s`);
});

test("15: aae-results: a plain start refuses a run folder that already holds a checkpoint (another --results's run), nothing changes", async () => {
  const dir = path.join(root, 'shared-runs');
  const args = (where: string) => tinyClassify(2, path.join(dir, where), path.join(dir, 'runs'));
  const name = 'semi-supervised-N100-e2-ld1-h8-ts200-seed1';
  // a screening run, its result in screening/, its checkpoint in runs/<name>
  assert.equal((await results(args('screening'))).code, 0);
  const ckpt = path.join(dir, 'runs', name, 'checkpoint.aae');
  const before = fs.readFileSync(ckpt);
  // the same run with its result elsewhere would train over that checkpoint: refused
  const r = await results(args('final'));
  assertOneLine(r, 2, new RegExp(`${name}.checkpoint\\.aae already holds a checkpoint of this run; continue it with --resume, restart it with --force, or give another --runs`));
  assert.deepEqual(fs.readFileSync(ckpt), before, 'the checkpoint is kept');
  assert.ok(!fs.existsSync(path.join(dir, 'final', `${name}.json`)), 'no result written');
  // --force restarts it
  assert.equal((await results([...args('final'), '--force'])).code, 0);
  assert.ok(fs.existsSync(path.join(dir, 'final', `${name}.json`)));
});
