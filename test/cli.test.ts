// The `aae` CLI as a user runs it (a child process of bin/aae.js, built by `npm test` first): bad
// data, an existing run, a mismatched or damaged checkpoint, Ctrl-C and --resume. The bad-option
// cases run in-process (main(argv)), with one of them also as a real child process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../lib/backend';
import { defaultMnistDir } from '../lib/data/mnist';
import { loadCheckpoint } from '../lib/train/checkpoint';
import { main } from '../lib/cli/aae';
import { capture } from './capture';

const BIN = path.join(__dirname, '..', 'bin', 'aae.js');
let root: string;
before(async () => {
  await initBackend();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-cli-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

function aae(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stderr.split('\n').filter((l) => l.trim() !== '') };
}

/** A small seeded run: 50 batches per epoch, so a signal lands mid-epoch. */
const SMALL = [
  '--model',
  'supervised',
  '--prior',
  'gaussian_mixture',
  '--n_z',
  '2',
  '--hidden',
  '32',
  '--batch-size',
  '20',
  '--train-size',
  '1000',
  '--eval-size',
  '300',
  '--seed',
  '7',
  '--PMLR',
  'false',
  '--PARR',
  'false',
];

test('every bad option exits 2 with one line naming the option, the value and the valid choices; nothing is written', async () => {
  const file = path.join(root, 'a-file');
  fs.writeFileSync(file, 'x');
  const out = path.join(root, 'never-created');
  const cases: [string[], RegExp[]][] = [
    [
      ['--model', 'vae'],
      [/--model/, /'vae'/, /supervised, semi_supervised/],
    ],
    [
      ['--prior', 'laplace'],
      [/--prior/, /'laplace'/, /gaussian, gaussian_mixture, swiss_roll/],
    ],
    [
      ['--prior', 'gaussian_mixture:1'],
      [/--prior/, /'gaussian_mixture:1'/, /gaussian_mixture:K/],
    ],
    [
      ['--model', 'supervised', '--prior', 'gaussian_mixture:16', '--n_z', '2'],
      [/prior "gaussian_mixture:16" has 16 modes, the data set has 10 classes/, /e\.g\. gaussian_mixture$/],
    ],
    [
      ['--n_z', '0'],
      [/--n_z/, /'0'/, /integer from 1 to 1000/],
    ],
    [
      ['--n_z', 'two'],
      [/--n_z/, /'two'/, /integer from 1 to 1000/],
    ],
    [
      ['--n_z', '2.5'],
      [/--n_z/, /'2.5'/],
    ],
    [
      ['--model', 'supervised', '--n_z', '3'],
      [/--n_z 3/, /--prior gaussian/, /--model supervised/, /2, 4, 6/],
    ],
    [
      ['--prior', 'swiss_roll', '--n_z', '5'],
      [/--n_z 5/, /swiss_roll/, /2, 4, 6/],
    ],
    [
      ['--epochs', '0'],
      [/--epochs/, /'0'/, /from 1 to 10000/],
    ],
    [
      ['--epochs', '1e9'],
      [/--epochs/, /'1e9'/],
    ],
    [
      ['--epochs', '10', '--lr-drop', '10'],
      [/--lr-drop 10/, /last epoch of 10/, /valid: 1 to 9/],
    ],
    [
      ['--preset', 'paper', '--lr-drop', '100'],
      [/--lr-drop 100/, /the paper preset's/, /valid: 1 to 99/],
    ],
    [
      ['--lr-drop', '0'],
      [/--lr-drop/, /'0'/],
    ],
    [
      ['--lr-decay', 'linear'],
      [/--lr-decay/, /'linear'/, /step, cosine/],
    ],
    [
      ['--lr-decay', 'cosine', '--lr-drop', '5'],
      [/--lr-drop 5 does not go with --lr-decay cosine/, /leave one of them out/],
    ],
    [
      ['--batch-size', '6000'],
      [/--batch-size/, /'6000'/, /from 1 to 5000/],
    ],
    [
      ['--train-size', '50'],
      [/--train-size 50/, /batch size 100/, /valid: 100 to 55000/],
    ],
    [
      ['--labels', '6000'],
      [/--labels 6000/, /validation set/, /1 to 5000/],
    ],
    [
      ['--labeled-from', 'balanced', '--train-size', '1000', '--labels', '2000'],
      [/--labels 2000/, /training set/, /1 to 1000/],
    ],
    [
      ['--labeled-from', 'test'],
      [/--labeled-from/, /'test'/, /validation, balanced/],
    ],
    [
      ['--labeled-noise', '-0.1'],
      [/--labeled-noise/, /'-0.1'/, /number from 0 to 10/],
    ],
    [
      ['--labeled-noise', 'lots'],
      [/--labeled-noise/, /'lots'/, /number from 0 to 10/],
    ],
    [
      ['--labeled-shift', '9'],
      [/--labeled-shift/, /'9'/, /from 0 to 8/],
    ],
    [
      ['--labeled-shift', '1.5'],
      [/--labeled-shift/, /'1.5'/, /from 0 to 8/],
    ],
    [
      ['--eval-every', '0'],
      [/--eval-every/, /'0'/, /integer from 1 to 100000/],
    ],
    [
      ['--eval-every', '-1'],
      [/--eval-every/, /'-1'/, /integer from 1 to 100000/],
    ],
    [
      ['--eval-every', 'x'],
      [/--eval-every/, /'x'/, /integer from 1 to 100000/],
    ],
    [
      ['--preset', 'quick'],
      [/--preset/, /'quick'/, /original, fast, paper, paper-sgd/],
    ],
    [
      ['--backend', 'gpu'],
      [/--backend/, /'gpu'/, /tensorflow-gpu, tensorflow, wasm-blas, wasm, cpu/],
    ],
    [
      ['--PMLR', 'maybe'],
      [/--PMLR/, /'maybe'/, /true or false/],
    ],
    [['--frobnicate'], [/unknown option '--frobnicate'/]],
    [['--resume', '--force'], [/--resume and --force/]],
    [['--resume'], [/--resume/, /no checkpoint\.aae/]],
  ];
  for (const [args, patterns] of cases) {
    const r = await capture(() => main([...args, '--out', out]));
    const what = `aae ${args.join(' ')}: ${r.err}`;
    assert.equal(r.code, 2, what);
    assert.equal(r.lines.length, 1, `one line: ${what}`);
    for (const p of patterns) assert.match(r.lines[0], p, what);
    assert.equal(r.out, '', what);
    assert.ok(!fs.existsSync(out), `--out was created: ${what}`);
  }
  // The same as a user sees it: a real process, its exit code and its one line on stderr.
  for (const [args, patterns] of cases.slice(0, 1).concat(cases.slice(-2, -1))) {
    const r = aae([...args, '--out', out]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.lines.length, 1, r.stderr);
    for (const p of patterns) assert.match(r.lines[0], p);
    assert.equal(r.stdout, '');
  }
  // An --out that cannot be a folder, or cannot be written (also for root: under a file, under /proc).
  const badOut: [string, RegExp][] = [
    [file, /is a file, not a folder/],
    [path.join(file, 'sub', 'dir'), /not writable \(ENOTDIR\)/],
  ];
  if (process.platform === 'linux') badOut.push(['/proc/aae-lab-test/run', /not writable/]);
  for (const [dir, p] of badOut) {
    const r = await capture(() => main(['--out', dir]));
    assert.equal(r.code, 2, r.err);
    assert.equal(r.lines.length, 1, r.err);
    assert.match(r.lines[0], new RegExp(`--out ${dir.replace(/[/.]/g, '\\$&')}`));
    assert.match(r.lines[0], p);
  }
  assert.equal(fs.readFileSync(file, 'utf8'), 'x');
});

test('--prior <name>:K: a built-in prior with K modes trains (the clustering model, 16 modes) and names its run', () => {
  const out = path.join(root, 'mixture16');
  const r = aae([
    '--model',
    'clustering',
    '--prior',
    'gaussian_mixture:16',
    '--n_z',
    '2',
    '--hidden',
    '8',
    '--batch-size',
    '50',
    '--train-size',
    '100',
    '--epochs',
    '1',
    '--eval-size',
    '100',
    '--out',
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
  assert.equal(m.config.prior, 'gaussian_mixture:16');
  assert.ok(fs.existsSync(path.join(out, 'prior_samples.png')));
  assert.match(aae(['--help']).stdout, /"gaussian_mixture:K"/);
});

test('--help documents the exit codes, AAE_MNIST_DIR and --resume', () => {
  const r = aae(['--help']);
  assert.equal(r.code, 0);
  for (const p of [/Exit codes: 0 done, 1 failure/, /2 bad options/, /130 interrupted/, /AAE_MNIST_DIR/, /--resume/, /--force/]) assert.match(r.stdout, p);
});

test('missing, truncated or wrong MNIST files: exit 1, one line naming the file and what was expected', () => {
  const real = defaultMnistDir();
  const names = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
  const folder = (name: string, damage: (f: string) => void) => {
    const d = path.join(root, `mnist-${name}`);
    fs.mkdirSync(d);
    for (const n of names) fs.symlinkSync(path.join(real, n), path.join(d, n));
    damage(d);
    return d;
  };
  const cases: [string, RegExp[]][] = [
    [path.join(root, 'mnist-empty'), [/MNIST file missing: .*mnist-empty\/train-images-idx3-ubyte/, /expected an IDX3 image file, magic number 2051/, /AAE_MNIST_DIR/]],
    [
      folder('truncated', (d) => {
        fs.unlinkSync(path.join(d, 't10k-images-idx3-ubyte'));
        fs.writeFileSync(path.join(d, 't10k-images-idx3-ubyte'), fs.readFileSync(path.join(real, 't10k-images-idx3-ubyte')).subarray(0, 5000));
      }),
      [/mnist-truncated\/t10k-images-idx3-ubyte/, /truncated IDX image file: 5000 bytes, expected 7840016/],
    ],
    [
      folder('magic', (d) => {
        const labels = Buffer.from(fs.readFileSync(path.join(real, 'train-labels-idx1-ubyte')));
        labels.writeUInt32BE(2051, 0);
        fs.unlinkSync(path.join(d, 'train-labels-idx1-ubyte'));
        fs.writeFileSync(path.join(d, 'train-labels-idx1-ubyte'), labels);
      }),
      [/mnist-magic\/train-labels-idx1-ubyte/, /wrong magic number 2051, expected 2049/],
    ],
  ];
  fs.mkdirSync(cases[0][0]);
  for (const [dir, patterns] of cases) {
    const out = path.join(root, 'out-mnist');
    const r = aae([...SMALL, '--out', out], { AAE_MNIST_DIR: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.lines.length, 1, r.stderr);
    for (const p of patterns) assert.match(r.lines[0], p);
    assert.ok(!fs.existsSync(out), 'nothing is written');
  }
});

/** Starts aae; sends `signal` once a stderr line matches `when`; resolves with the exit code and output. */
function runAndSignal(args: string[], when: RegExp, signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string; signalled: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let signalled = false;
    child.stdout.resume();
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      stderr += s;
      if (!signalled && when.test(stderr)) {
        signalled = true;
        child.kill(signal);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, signalled }));
  });
}

function maxWeightDiff(fileA: string, fileB: string): number {
  const a = loadCheckpoint(fileA);
  const b = loadCheckpoint(fileB);
  const wa = a.model.namedWeights();
  const wb = b.model.namedWeights();
  assert.deepEqual(
    wa.map(([n]) => n),
    wb.map(([n]) => n),
  );
  let max = 0;
  for (let i = 0; i < wa.length; i++) {
    const x = wa[i][1].dataSync();
    const y = wb[i][1].dataSync();
    for (let j = 0; j < x.length; j++) max = Math.max(max, Math.abs(x[j] - y[j]));
  }
  a.model.dispose();
  b.model.dispose();
  return max;
}

test('Ctrl-C mid-epoch saves a checkpoint and exits 130; --resume ends with the weights of an uninterrupted run', async () => {
  const full = path.join(root, 'full');
  const cut = path.join(root, 'cut');
  const ref = aae([...SMALL, '--epochs', '3', '--out', full]);
  assert.equal(ref.code, 0, ref.stderr);
  assert.match(ref.stderr, /progress: epoch 3\/3 batch 50\/50/);

  const r = await runAndSignal([...SMALL, '--epochs', '3', '--out', cut], /progress: epoch 2\/3 batch 10\/50/, 'SIGINT');
  assert.ok(r.signalled, r.stderr);
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /interrupted by SIGINT: checkpoint saved to .*checkpoint\.aae; continue with the same command plus --resume/);
  const ck = loadCheckpoint(path.join(cut, 'checkpoint.aae'));
  ck.model.dispose();
  assert.equal(ck.trainer!.epoch, 1, 'stopped in epoch 2');
  assert.ok(ck.trainer!.batch >= 10 && ck.trainer!.batch < 50, `stopped mid-epoch, at batch ${ck.trainer!.batch}`);
  assert.equal(ck.trainer!.history.length, 1);
  const metrics = JSON.parse(fs.readFileSync(path.join(cut, 'metrics.json'), 'utf8'));
  assert.equal(metrics.history.length, 1);

  // Without --resume or --force, the interrupted run is not overwritten.
  const again = aae([...SMALL, '--epochs', '3', '--out', cut]);
  assert.equal(again.code, 2);
  assert.match(again.lines[0], /already holds a run .*use --resume to continue it, --force to overwrite it/);

  // The settings come from the checkpoint: --resume and --out are enough.
  const resumed = aae(['--resume', '--out', cut, '--eval-size', '300', '--PMLR', 'false', '--PARR', 'false']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming .* at epoch 2, batch \d+/);
  const diff = maxWeightDiff(path.join(full, 'checkpoint.aae'), path.join(cut, 'checkpoint.aae'));
  assert.ok(diff < 1e-5, `resumed weights differ from the uninterrupted run's by ${diff}`);
  const m = JSON.parse(fs.readFileSync(path.join(cut, 'metrics.json'), 'utf8'));
  assert.equal(m.history.length, 3);
  assert.ok(m.initial && m.initial.test_reconstruction > 0, 'the before-training loss survives the resume');
});

test('SIGTERM during the first epoch exits 130 with a checkpoint at the exact batch', async () => {
  const out = path.join(root, 'term');
  const r = await runAndSignal([...SMALL, '--epochs', '2', '--out', out], /progress: epoch 1\/2 batch 5\/50/, 'SIGTERM');
  assert.equal(r.code, 130, r.stderr);
  const ck = loadCheckpoint(path.join(out, 'checkpoint.aae'));
  ck.model.dispose();
  assert.equal(ck.trainer!.epoch, 0);
  assert.ok(ck.trainer!.batch >= 5 && ck.trainer!.batch < 50, `batch ${ck.trainer!.batch}`);
  assert.deepEqual(fs.readdirSync(out).sort(), ['checkpoint.aae', 'metrics.json'], 'no temporaries left behind');
});

test('--eval-every 2 over 3 epochs: validation and test metrics for epochs 2 and 3 (the last), train losses for every epoch', async () => {
  const out = path.join(root, 'eval-every');
  const r = await capture(() => main([...SMALL, '--epochs', '3', '--eval-every', '2', '--out', out]));
  assert.equal(r.code, 0, r.err);
  const ck = loadCheckpoint(path.join(out, 'checkpoint.aae'));
  ck.model.dispose();
  assert.equal(ck.config.evalEvery, 2);
  const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
  for (const history of [ck.trainer!.history, metrics.history] as Record<string, number>[][]) {
    assert.deepEqual(
      history.map((h) => h.epoch),
      [0, 1, 2],
    );
    const evaluated = history.filter((h) => Object.keys(h).some((k) => k.startsWith('test_') || k.startsWith('val_'))).map((h) => h.epoch + 1);
    assert.deepEqual(evaluated, [2, 3], 'evaluated epochs (1-based)');
    for (const h of history) assert.ok(h.train_reconstruction > 0, `epoch ${h.epoch + 1} has its train losses`);
    assert.ok(history[1].test_reconstruction > 0 && history[2].test_reconstruction > 0);
  }
  // Where the time went, before the summary: steps (the epochs' own clock), evaluation (only
  // epochs 2 and 3 evaluate), checkpoints, figures, and the share that is not steps.
  const line = r.out.split('\n').find((l) => l.startsWith('time: '));
  assert.ok(line, r.out);
  const secs = (what: string) => Number(line.match(new RegExp(`${what} ([\\d.]+) s`))![1]);
  const [steps, evaluation, checkpoints, figures] = ['steps', 'evaluation', 'checkpoints', 'figures'].map(secs);
  const stepSum = metrics.history.reduce((a: number, h: Record<string, number>) => a + h.seconds, 0);
  assert.ok(steps > 0 && evaluation > 0 && checkpoints >= 0 && figures > 0, line);
  assert.ok(Math.abs(steps + evaluation - stepSum) < 0.02, `steps + evaluation = the epochs' seconds (${stepSum}): ${line}`);
  const pct = Number(line.match(/figures ([\d.]+)% of ([\d.]+) s$/)![1]);
  assert.ok(Math.abs(pct - (100 * (evaluation + checkpoints + figures)) / (steps + evaluation + checkpoints + figures)) < 0.3, line);
});

test('--resume with other settings or a damaged checkpoint: a clear error, nothing written', async () => {
  const run = path.join(root, 'full'); // the finished 3-epoch run of the Ctrl-C test
  const file = path.join(run, 'checkpoint.aae');
  assert.ok(fs.existsSync(file), 'needs the run of the Ctrl-C test');
  const bytes = fs.readFileSync(file);
  const stamp = fs.statSync(file).mtimeMs;
  const cases: [string[], RegExp[]][] = [
    [
      ['--n_z', '4'],
      [/--resume: --n_z 4 does not match the checkpoint/, /trained with --n_z 2/],
    ],
    [
      ['--model', 'semi_supervised'],
      [/--model semi_supervised does not match/, /--model supervised/],
    ],
    [
      ['--prior', 'swiss_roll'],
      [/--prior swiss_roll does not match/, /--prior gaussian_mixture/],
    ],
    [
      ['--hidden', '64'],
      [/--hidden 64 does not match/, /--hidden 32/],
    ],
    [['--preset', 'original'], [/--preset original does not match the checkpoint/]],
    [
      ['--eval-every', '2'],
      [/--eval-every 2 does not match the checkpoint/, /--eval-every 1/],
    ],
    [
      ['--lr-drop', '2'],
      [/--lr-drop 2 does not match the checkpoint/, /--lr-drop 8/],
    ],
  ];
  for (const [args, patterns] of cases) {
    const r = await capture(() => main(['--resume', '--out', run, ...args]));
    assert.equal(r.code, 2, r.err);
    assert.equal(r.lines.length, 1, r.err);
    for (const p of patterns) assert.match(r.lines[0], p);
  }
  assert.deepEqual(fs.readFileSync(file), bytes);
  assert.equal(fs.statSync(file).mtimeMs, stamp);
  // The same command plus --resume is accepted (here: nothing left to train, so it only rewrites the results).
  const same = aae([...SMALL, '--epochs', '3', '--out', run, '--resume']);
  assert.equal(same.code, 0, same.stderr);
  const damaged = Buffer.from(bytes);
  damaged[damaged.length - 100] ^= 0x01;
  fs.writeFileSync(file, damaged);
  const r = aae(['--resume', '--out', run]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.lines.length, 1, r.stderr);
  assert.match(r.lines[0], /checkpoint .*checkpoint\.aae is damaged \(CRC-32 mismatch\); it was not loaded/);
  assert.deepEqual(fs.readFileSync(file), damaged, 'the damaged file is left for inspection, not overwritten');
});

test('--lr-decay cosine: each epoch learns at the rate of the cosine over the run; --resume refuses an --epochs that would move it', () => {
  const run = path.join(root, 'cosine');
  const r = aae([...SMALL, '--epochs', '3', '--lr-decay', 'cosine', '--out', run]);
  assert.equal(r.code, 0, r.stderr);
  const rates = [...(r.stdout + r.stderr).matchAll(/^epoch (\d)\/3 {2}lr (\S+)/gm)].map((m) => Number(m[2]));
  // 1e-3 * (1 + cos(pi * e / 3)) / 2 for e = 0, 1, 2
  assert.deepEqual(rates, [1e-3, 7.5e-4, 2.5e-4]);
  const file = path.join(run, 'checkpoint.aae');
  const bytes = fs.readFileSync(file);
  const more = aae([...SMALL, '--epochs', '4', '--lr-decay', 'cosine', '--out', run, '--resume']);
  assert.equal(more.code, 2, more.stderr);
  assert.equal(more.lines.filter((l) => !l.startsWith('backend:')).length, 1, more.stderr);
  assert.match(more.stderr, /--epochs 4 would change the learning rates of the checkpoint .*cosine decay is laid out over 3 epochs; valid: --epochs 3/);
  assert.deepEqual(fs.readFileSync(file), bytes, 'the checkpoint is untouched');
});

test('a run records its backend and products (wasm-blas+avx512); resumed on other products, it says the run will not repeat bit for bit', async (t) => {
  const { loadNativeAddon } = await import('../lib/backend');
  const addon = loadNativeAddon().addon;
  const first = addon ? addon.denseConfig().gemm : null;
  if (first !== 'avx512') {
    t.skip('needs wasm-blas with the AVX-512 products');
    return;
  }
  const out = path.join(root, 'products');
  const saved = process.env.AAE_GEMM;
  try {
    process.env.AAE_GEMM = 'openblas';
    await initBackend({ backend: 'wasm' }); // the next start applies AAE_GEMM
    const r1 = await capture(() => main([...SMALL, '--epochs', '1', '--out', out]));
    assert.equal(r1.code, 0, r1.err);
    assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')).backend, 'wasm-blas');
    delete process.env.AAE_GEMM;
    addon!.denseConfig({ gemm: 'avx512' });
    addon!.convConfig({ gemm: 'avx512' });
    await initBackend({ backend: 'wasm' });
    const r2 = await capture(() => main([...SMALL, '--epochs', '2', '--resume', '--out', out]));
    assert.equal(r2.code, 0, r2.err);
    assert.match(
      r2.err,
      /note: .*checkpoint\.aae was trained on wasm-blas and continues on wasm-blas\+avx512: the run will not repeat an uninterrupted one bit for bit; AAE_GEMM=openblas continues it/,
    );
    assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')).backend, 'wasm-blas+avx512');
    // the same products again: no note
    const r3 = await capture(() => main([...SMALL, '--epochs', '3', '--resume', '--out', out]));
    assert.equal(r3.code, 0, r3.err);
    assert.doesNotMatch(r3.err, /note: .*continues on/);
  } finally {
    if (saved === undefined) delete process.env.AAE_GEMM;
    else process.env.AAE_GEMM = saved;
    addon!.denseConfig({ gemm: first });
    addon!.convConfig({ gemm: first });
    await initBackend({ backend: 'wasm' });
    await initBackend({});
  }
});
