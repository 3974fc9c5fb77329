import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import { initBackend, availableBackends, nativeAdam, loadNativeAddon, nativeKernelsInstalled, BACKEND_NAMES } from '../lib/backend';
import { Adam } from '../lib/nn/adam';
import { meanSquaredError, sigmoidCrossEntropy } from '../lib/nn/losses';
import { Dense, dropout, dropoutMask, MLP } from '../lib/nn/layers';
import { createModel, makeConfig } from '../lib/models';
import { loadMnist } from '../lib/data/mnist';
import { epochOrder, makeBatch } from '../lib/data/batches';
import { Rng } from '../lib/random';

/** Where Debian/Ubuntu (and most distributions) put OpenBLAS's cblas.h when libopenblas-dev is installed. */
const CBLAS_HEADERS = ['/usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h', '/usr/include/aarch64-linux-gnu/openblas-pthread/cblas.h', '/usr/include/openblas/cblas.h'];
const openblasInstalled = CBLAS_HEADERS.some((p) => fs.existsSync(p));
const addon = loadNativeAddon().addon;
const skipNative = addon ? false : `the aae-lab-native addon is not built (${loadNativeAddon().error}); install libopenblas-dev and run npm install`;

before(async () => {
  if (skipNative) console.log(`skipping native kernel tests: ${skipNative}`);
});

after(async () => {
  // Leave the default (fastest available) backend for any test file that runs after this one.
  await initBackend({});
});

test('the native addon is built wherever OpenBLAS is installed', (t) => {
  if (!openblasInstalled) {
    t.skip(`no cblas.h in ${CBLAS_HEADERS.join(', ')}`);
    return;
  }
  assert.ok(addon, `OpenBLAS is installed but the addon did not load: ${loadNativeAddon().error}`);
  assert.ok(availableBackends().includes('wasm-blas'));
  assert.match(addon.config(), /OpenBLAS/);
});

test('backend choice: fastest available by default, AAE_BACKEND and opts.backend override, clear errors', async () => {
  const avail = availableBackends();
  assert.ok(avail.includes('wasm') && avail.includes('cpu'));
  assert.deepEqual(
    avail,
    BACKEND_NAMES.filter((n) => avail.includes(n)),
    'availability keeps the preference order',
  );
  const saved = process.env.AAE_BACKEND;
  try {
    delete process.env.AAE_BACKEND;
    const auto = await initBackend({});
    assert.equal(auto.name, avail[0]);
    if (auto.name === 'wasm' || auto.name === 'cpu') assert.match(auto.hint ?? '', /libopenblas-dev/);
    else assert.equal(auto.hint, undefined);

    process.env.AAE_BACKEND = 'cpu';
    const cpu = await initBackend({});
    assert.equal(cpu.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.equal(nativeAdam(), null);
    // opts.backend (the CLI flag) wins over the environment variable.
    const wasm = await initBackend({ backend: 'wasm' });
    assert.equal(wasm.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.equal(nativeKernelsInstalled(), false);

    process.env.AAE_BACKEND = 'gpu';
    await assert.rejects(initBackend({}), (e: Error) => {
      assert.match(e.message, /unknown backend "gpu" \(from AAE_BACKEND\)/);
      for (const n of BACKEND_NAMES) assert.ok(e.message.includes(n), `${n} named in: ${e.message}`);
      return true;
    });
    delete process.env.AAE_BACKEND;
    for (const missing of BACKEND_NAMES.filter((n) => !avail.includes(n))) {
      await assert.rejects(initBackend({ backend: missing }), (e: Error) => {
        assert.match(e.message, new RegExp(`^backend "${missing}" is not available here`));
        assert.match(e.message, /Available: .*wasm.*cpu/);
        return true;
      });
    }
  } finally {
    if (saved === undefined) delete process.env.AAE_BACKEND;
    else process.env.AAE_BACKEND = saved;
  }
});

// ------------------------------------------------------------------ native vs stock wasm kernels

function randn(shape: number[], rng: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.normal()),
    shape,
  );
}

/** Runs f on the stock wasm kernels and on the native ones; returns both results as arrays (and shapes). */
async function stockAndNative(f: () => tf.Tensor | tf.Tensor[]): Promise<{ stock: tf.Tensor[]; native: tf.Tensor[] }> {
  const run = () => {
    const r = f();
    return (Array.isArray(r) ? r : [r]).map((t) => {
      const c = tf.tensor(t.dataSync().slice(), t.shape);
      // Both backends share the wasm heap: the native run's output may get this freed buffer, so it
      // is poisoned first, or an output value a native kernel never wrote would pass as the stock one.
      if (t.dtype === 'float32') (tf.backend() as unknown as { typedArrayFromHeap(t: tf.Tensor): Float32Array }).typedArrayFromHeap(t).fill(NaN);
      t.dispose();
      return c;
    });
  };
  await initBackend({ backend: 'wasm' });
  const stock = run();
  await initBackend({ backend: 'wasm-blas' });
  assert.ok(nativeKernelsInstalled());
  const native = run();
  return { stock, native };
}

function assertClose(native: tf.Tensor, stock: tf.Tensor, what: string, rel = 1e-4): void {
  assert.deepEqual(native.shape, stock.shape, `${what}: shape`);
  const a = native.dataSync();
  const b = stock.dataSync();
  let scale = 1e-6;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= rel * scale)) assert.fail(`${what}: element ${i}: native ${a[i]} vs stock ${b[i]} (scale ${scale})`);
  }
}

const TRANSPOSES: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];
const M = 13,
  K = 29,
  N = 11;
/** Stored shapes of a and b for an m x k by k x n product with batch dims, per transpose flags. */
const shapes = (ta: boolean, tb: boolean, batchA: number[], batchB: number[]) => [
  [...batchA, ...(ta ? [K, M] : [M, K])],
  [...batchB, ...(tb ? [N, K] : [K, N])],
];

test('BatchMatMul: native equals stock wasm for every transpose combination, batched, broadcast and not', { skip: skipNative }, async () => {
  const rng = new Rng(1);
  const batchCases: [number[], number[]][] = [
    [[], []],
    [[3], [3]],
    [[1], [4]],
    [[4], [1]],
    [
      [2, 3],
      [2, 3],
    ],
    [[2, 1], [1]],
  ];
  for (const [ta, tb] of TRANSPOSES) {
    for (const [ba, bb] of batchCases) {
      const [sa, sb] = shapes(ta, tb, ba, bb);
      const a = randn(sa, rng);
      const b = randn(sb, rng);
      const { stock, native } = await stockAndNative(() => tf.matMul(a, b, ta, tb));
      assertClose(native[0], stock[0], `matMul ${sa} x ${sb} transposeA=${ta} transposeB=${tb}`);
      tf.dispose([a, b, ...stock, ...native]);
    }
  }
});

test('BatchMatMul: empty operands and a zero inner size', { skip: skipNative }, async () => {
  await initBackend({ backend: 'wasm-blas' });
  const e = tf.matMul(tf.zeros([0, 5]), tf.ones([5, 3]));
  assert.deepEqual(e.shape, [0, 3]);
  const z = tf.matMul(tf.ones([2, 0]), tf.ones([0, 3]));
  assert.deepEqual(Array.from(z.dataSync()), [0, 0, 0, 0, 0, 0]);
  tf.dispose([e, z]);
});

const ACT: Record<string, (y: tf.Tensor) => tf.Tensor> = {
  linear: (y) => y,
  relu: (y) => tf.relu(y),
  relu6: (y) => tf.relu6(y),
  leakyrelu: (y) => tf.leakyRelu(y, 0.3),
  sigmoid: (y) => tf.sigmoid(y),
  elu: (y) => tf.elu(y),
  prelu: (y) => tf.prelu(y, alphas),
};
let alphas: tf.Tensor1D; // prelu slopes, made once the backend is up

test('_FusedMatMul: native equals stock wasm with bias and every activation, batched and not', { skip: skipNative }, async () => {
  const rng = new Rng(2);
  alphas = tf.tensor1d(Array.from({ length: N }, (_, i) => 0.05 * i));
  const activations = ['linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid', 'elu', 'prelu'] as const;
  for (const [ta, tb] of TRANSPOSES) {
    for (const [ba, bb] of [
      [[], []],
      [[3], [3]],
      [[1], [3]],
    ] as [number[], number[]][]) {
      const [sa, sb] = shapes(ta, tb, ba, bb);
      const a = randn(sa, rng);
      const b = tf.mul(randn(sb, rng), 3);
      const bias = randn([N], rng);
      const one = randn([1], rng);
      for (const activation of activations) {
        for (const [label, bb2] of [
          ['bias', bias],
          ['scalar bias', one],
          ['no bias', undefined],
        ] as const) {
          // [fused, the same by separate ops]. The separate ops are the reference: tfjs-backend-wasm
          // 4.22's own fused kernel adds a bias correctly only to one untransposed product with n bias
          // values (batched or transposed, or with a one-value bias, it adds it at wrong places); where
          // it is right (that case, or no bias) the native result equals it too.
          const { stock, native } = await stockAndNative(() => [
            tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias: bb2, activation, leakyreluAlpha: 0.3, preluActivationWeights: alphas }),
            ACT[activation](bb2 ? tf.add(tf.matMul(a, b, ta, tb), bb2) : tf.matMul(a, b, ta, tb)),
          ]);
          const what = `fused ${activation} ${label} ${sa} x ${sb} tA=${ta} tB=${tb}`;
          assertClose(native[0], stock[1], `${what} (vs separate ops)`);
          if (label === 'no bias' || (label === 'bias' && ba.length === 0 && !ta && !tb)) assertClose(native[0], stock[0], what);
          tf.dispose([...stock, ...native]);
        }
      }
      tf.dispose([a, b, bias, one]);
    }
  }
});

test('gradients of a fused dense relu layer (matMul transposes, leading-axes Sum) match stock wasm', { skip: skipNative }, async () => {
  const rng = new Rng(3);
  const x = randn([17, 23], rng);
  const w = randn([23, 19], rng);
  const b = randn([19], rng);
  const { stock, native } = await stockAndNative(() =>
    tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.square(tf.fused.matMul({ a: xx as tf.Tensor2D, b: ww as tf.Tensor2D, bias: bb, activation: 'relu' }))))([x, w, b]),
  );
  ['dx', 'dw', 'db'].forEach((what, i) => assertClose(native[i], stock[i], what));
  tf.dispose([x, w, b, ...stock, ...native]);
});

test('Sum: native leading-axes reduction equals stock; other axes still correct', { skip: skipNative }, async () => {
  const rng = new Rng(4);
  const x = randn([4, 5, 6], rng);
  const cases: [number | number[], boolean][] = [
    [0, false],
    [[0, 1], false],
    [[1, 0], true],
    [1, false],
    [[1, 2], false],
    [-1, true],
    [[0, 1, 2], false],
  ];
  for (const [axis, keepDims] of cases) {
    const { stock, native } = await stockAndNative(() => tf.sum(x, axis, keepDims));
    assertClose(native[0], stock[0], `sum axis=${axis} keepDims=${keepDims}`, 1e-6);
    tf.dispose([...stock, ...native]);
  }
  x.dispose();
});

test('native kernels are deterministic: the same product twice is bit-identical', { skip: skipNative }, async () => {
  await initBackend({ backend: 'wasm-blas' });
  const rng = new Rng(5);
  const a = randn([128, 300], rng);
  const b = randn([300, 200], rng);
  const r1 = tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, activation: 'relu' });
  const r2 = tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, activation: 'relu' });
  assert.deepEqual(Array.from(r1.dataSync()), Array.from(r2.dataSync()));
  tf.dispose([a, b, r1, r2]);
});

/** Three Adam steps on fixed variables and gradients; returns the variables' final values. */
function adamSteps(native: boolean, keepSource: boolean): Float32Array[] {
  assert.equal(nativeAdam() !== null, native, 'native Adam active exactly on wasm-blas');
  const rng = new Rng(6);
  const sources = [randn([7, 5], rng), randn([5], rng), randn([3, 4, 2], rng)];
  const vars = sources.map((s, i) => tf.variable(s, true, `adam_test_${native}_${keepSource}_${i}`));
  if (!keepSource) tf.dispose(sources);
  const opt = new Adam(vars);
  for (let step = 0; step < 3; step++) {
    const grads: tf.NamedTensorMap = {};
    vars.forEach((v) => (grads[v.name] = randn(v.shape, rng)));
    opt.apply(grads, 1e-2);
    tf.dispose(grads);
  }
  if (keepSource) {
    // A variable made from a tensor shares its buffer at first: the in-place update must not touch the source.
    const again = new Rng(6);
    sources.forEach((s) => {
      const want = Float32Array.from({ length: s.size }, () => again.normal());
      assert.deepEqual(Array.from(s.dataSync()), Array.from(want), 'source tensor unchanged');
    });
    tf.dispose(sources);
  }
  const out = vars.map((v) => v.dataSync().slice() as Float32Array);
  const st = opt.getState();
  assert.equal(st.t, 3);
  opt.dispose();
  tf.dispose(vars);
  return [...out, ...st.m, ...st.v];
}

test('Adam: the native in-place update equals the tfjs-op update', { skip: skipNative }, async () => {
  for (const keepSource of [false, true]) {
    await initBackend({ backend: 'wasm' });
    const stock = adamSteps(false, keepSource);
    await initBackend({ backend: 'wasm-blas' });
    const before = tf.memory().numTensors;
    const native = adamSteps(true, keepSource);
    assert.equal(tf.memory().numTensors, before, 'no tensors leak');
    stock.forEach((s, i) => assertClose(tf.tensor(native[i]), tf.tensor(s), `Adam slot ${i} (keepSource=${keepSource})`, 1e-5));
  }
});

test('native Adam rejects mismatched sizes', { skip: skipNative }, async () => {
  await initBackend({ backend: 'wasm-blas' });
  const x = tf.variable(tf.zeros([4]));
  const m = tf.variable(tf.zeros([4]));
  const v = tf.variable(tf.zeros([4]));
  const g = tf.ones([3]);
  assert.throws(() => nativeAdam()!.update(x, g, m, v, 1e-3, 0.9, 0.999, 1e-8), /same length/);
  tf.dispose([x, m, v, g]);
});

test('dropout: the native kernel drops the same values as the JavaScript mask, bit for bit', { skip: skipNative }, async () => {
  await initBackend({ backend: 'wasm' });
  const rng = new Rng(7);
  // a small layer (one thread), one large enough that the product's threads each drop their own
  // columns, and one with few sums but many outputs (also split over the threads)
  for (const [rows, inputs, units] of [
    [37, 53, 53],
    [200, 640, 640],
    [300, 12, 1000],
  ]) {
    const size = [rows, units];
    // One hidden layer with zero bias and weights w[i][j] = (j mod inputs == i): each output is one
    // input value (the identity when square), so relu(x w) is exact, then dropout.
    const w = new Float32Array(inputs * units);
    for (let j = 0; j < units; j++) w[(j % inputs) * units + j] = 1;
    const x0 = tf.abs(randn([rows, inputs], rng)) as tf.Tensor2D;
    const x = tf.gather(
      x0,
      tf.tensor1d(
        Array.from({ length: units }, (_, j) => j % inputs),
        'int32',
      ),
      1,
    ) as tf.Tensor2D;
    const layer = new MLP('drop', [inputs, units], new Rng(1), 'hidden');
    layer.layers[0].w.assign(tf.tensor2d(w, [inputs, units]));
    for (const [rate, seed] of [
      [0.1, 1],
      [0.5, 123456],
      [0.1, 2147483647],
      [0.3, 0],
    ] as const) {
      // Equal Rngs give the same seed to both paths.
      const { stock, native } = await stockAndNative(() => [dropout(x, { rate, rng: new Rng(seed) }), layer.apply(x0, { rate, rng: new Rng(seed) })]);
      assert.deepEqual(Array.from(native[1].dataSync()), Array.from(stock[0].dataSync()), `${size}: rate ${rate} seed ${seed}`);
      assert.deepEqual(Array.from(stock[1].dataSync()), Array.from(stock[0].dataSync()), `${size}: stock layer, rate ${rate} seed ${seed}`);
      tf.dispose([...stock, ...native]);
    }
    tf.dispose([x0, x, ...layer.variables]);
  }
});

test('dropout mask: deterministic per seed, keep rate and scaling, no correlation between seeds or neighbours', () => {
  const n = 1 << 20;
  for (const keep of [0.9, 0.5, 0.25]) {
    const a = dropoutMask(n, keep, 42);
    assert.deepEqual(a, dropoutMask(n, keep, 42));
    const scale = Math.fround(1 / keep);
    let kept = 0;
    for (const v of a) {
      if (v === scale) kept++;
      else assert.equal(v, 0);
    }
    const se = Math.sqrt((keep * (1 - keep)) / n);
    assert.ok(Math.abs(kept / n - keep) < 5 * se, `keep ${keep}: kept fraction ${kept / n}`);
    // Correlation of the keep indicators: seed 42 vs seeds 43 and 1042, and element i vs i + 1.
    const corr = (p: Float32Array, q: Float32Array, lag = 0) => {
      let sp = 0,
        sq = 0,
        spq = 0;
      const m = n - lag;
      for (let i = 0; i < m; i++) {
        const u = p[i] ? 1 : 0;
        const w = q[i + lag] ? 1 : 0;
        sp += u;
        sq += w;
        spq += u * w;
      }
      return (spq / m - (sp / m) * (sq / m)) / (keep * (1 - keep));
    };
    for (const other of [43, 1042]) {
      const r = corr(a, dropoutMask(n, keep, other));
      assert.ok(Math.abs(r) < 5 / Math.sqrt(n), `keep ${keep}: correlation with seed ${other} ${r}`);
    }
    const r1 = corr(a, a, 1);
    assert.ok(Math.abs(r1) < 5 / Math.sqrt(n), `keep ${keep}: lag-1 correlation ${r1}`);
  }
  assert.notDeepEqual(dropoutMask(1000, 0.9, 1), dropoutMask(1000, 0.9, 2));
});

test('dense layers: the native AaeDense kernel (relu + dropout, sigmoid, linear) and its gradients equal the stock ops', { skip: skipNative }, async () => {
  await initBackend({ backend: 'wasm' });
  const rng = new Rng(8);
  const x = randn([9, 13], rng) as tf.Tensor2D;
  for (const [output, keep] of [
    ['linear', 0.8],
    ['sigmoid', 0.5],
    ['hidden', 1],
    ['linear', 1],
  ] as const) {
    const mlp = new MLP('t', [13, 17, 11, 5], new Rng(9), output);
    const vars = mlp.variables;
    const { stock, native } = await stockAndNative(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(mlp.apply(x, keep < 1 ? { rate: 1 - keep, rng: new Rng(10) } : null))), vars);
      return [value, ...vars.map((v) => grads[v.name])];
    });
    stock.forEach((s, i) => assertClose(native[i], s, `${output} keep ${keep}: ${i ? vars[i - 1].name : 'value'}`));
    tf.dispose([...stock, ...native, ...vars]);
  }
  await initBackend({ backend: 'wasm-blas' });
  const d = new Dense('one', 13, 4, new Rng(11));
  const before = tf.memory().numTensors;
  for (const act of ['linear', 'relu', 'sigmoid'] as const) {
    const y = d.apply(x, act);
    assert.deepEqual(y.shape, [9, 4]);
    y.dispose();
  }
  assert.equal(tf.memory().numTensors, before, 'no tensors leak');
  tf.dispose([x, d.w, d.b]);
});

test('a dense layer on the same input again reuses its values before dropout while its weights stay, and recomputes after an in-place Adam update', { skip: skipNative }, async () => {
  await initBackend({ backend: 'wasm-blas' });
  const x = randn([9, 13], new Rng(12)) as tf.Tensor2D;
  const mlp = new MLP('memo', [13, 17, 5], new Rng(13), 'linear');
  // the expected values: a twin (the same weights in other tensors) on a copy of x, so that nothing
  // is reused there nor disturbed here
  const twin = new MLP('twin', [13, 17, 5], new Rng(13), 'linear');
  const drop = (seed: number) => ({ rate: 0.2, rng: new Rng(seed) });
  const expected = (seed: number) => {
    const copy = tf.tensor2d(x.dataSync().slice(), x.shape);
    const y = twin.apply(copy, drop(seed));
    const v = y.dataSync().slice();
    tf.dispose([copy, y]);
    return v;
  };
  const got = (seed: number) => {
    const y = mlp.apply(x, drop(seed));
    const v = y.dataSync().slice();
    y.dispose();
    return v;
  };
  // first call, second (keeps the values), third and fourth (reuse them), each with its own mask
  for (const seed of [1, 2, 3, 4]) assert.deepEqual(got(seed), expected(seed), `call with seed ${seed}`);
  // gradients through a call that reused the values
  const grads = (net: MLP, input: tf.Tensor2D) => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(net.apply(input, drop(5)))), net.variables);
    const out = net.variables.map((v) => grads[v.name].dataSync().slice());
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  };
  const copy = tf.tensor2d(x.dataSync().slice(), x.shape);
  assert.deepEqual(grads(mlp, x), grads(twin, copy), 'gradients');
  copy.dispose();
  // in-place updates of the first layer's weights, then of its bias alone: the kept values are stale
  const adams = [new Adam(mlp.variables), new Adam(twin.variables)];
  for (const [i, name] of (['w', 'b'] as const).entries()) {
    [mlp, twin].forEach((net, j) => {
      const v = net.layers[0][name];
      const g = tf.onesLike(v);
      adams[j].apply({ [v.name]: g }, 0.1);
      g.dispose();
    });
    for (const seed of [6, 7, 8]) assert.deepEqual(got(10 * i + seed), expected(10 * i + seed), `after an update of ${name}, seed ${10 * i + seed}`);
  }
  tf.dispose([x, ...mlp.variables, ...twin.variables]);
  adams.forEach((a) => a.dispose());
});

test('the thread pool: jobs after its threads have gone to sleep (gaps longer than their spin) complete, with the same values', { skip: skipNative }, () => {
  // In a child process: a lost wake-up would hang the native call, and with it any test in this process.
  const script = `
    const a = require('aae-lab-native');
    const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    let s = 1;
    const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
    const A = new Float32Array(100 * 300).map(rand), B = new Float32Array(300 * 512).map(rand);
    for (const n of [2, 3]) {
      a.setThreads(n);
      const want = new Float32Array(100 * 512);
      a.fusedMatMul(A, B, want, 1, 100, 512, 300, false, false, 0, 0, null, 0, 0);
      for (let i = 0; i < 60; i++) {
        sleep(3 + (i % 4)); // idle longer than the pool's spin: its threads sleep, the next job wakes them
        const c = new Float32Array(100 * 512);
        a.fusedMatMul(A, B, c, 1, 100, 512, 300, false, false, 0, 0, null, 0, 0);
        if (!c.every((v, j) => Object.is(v, want[j]))) throw new Error(n + ' threads, job ' + i + ': different values');
      }
    }
    console.log('pool ok');`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000, cwd: path.join(__dirname, '..') });
  assert.equal(r.signal, null, `the pool hung (killed after 60 s): a job was not picked up or not reported done; ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /pool ok/);
});

test('denseGrad: one pass gives the activation gradient and its column sums of activationGrad and biasGrad, bit for bit; the MSE functions check their arguments', { skip: skipNative }, () => {
  const a = addon!;
  const rng = new Rng(12);
  // widths below, at and past a 16-float vector, a batch of 100 by 1000 units; relu with dropout's scale, and sigmoid
  for (const [rows, n] of [
    [1, 1],
    [7, 33],
    [3, 16],
    [100, 1000],
    [5, 784],
  ]) {
    const dy = new Float32Array(rows * n).map(() => rng.normal());
    const y = new Float32Array(rows * n).map(() => (rng.uniform() < 0.3 ? 0 : rng.uniform()));
    for (const [act, scale] of [
      [1, Math.fround(1 / Math.fround(0.9))],
      [1, 1],
      [4, 1],
    ]) {
      const dz = new Float32Array(rows * n).fill(NaN),
        db = new Float32Array(n).fill(NaN);
      const dz2 = new Float32Array(rows * n),
        db2 = new Float32Array(n);
      a.denseGrad(dy, y, dz, db, rows, n, act, scale);
      a.activationGrad(dy, y, dz2, act, scale);
      a.biasGrad(dz2, db2, rows, n);
      const what = `${rows}x${n} act ${act} scale ${scale}`;
      assert.deepEqual(Buffer.from(dz.buffer), Buffer.from(dz2.buffer), `${what}: dz`);
      assert.deepEqual(Buffer.from(db.buffer), Buffer.from(db2.buffer), `${what}: db`);
    }
  }
  const F = (k: number) => new Float32Array(k);
  assert.throws(() => a.denseGrad(F(12), F(12), F(11), F(4), 3, 4, 1, 1), /denseGrad: dy, y and dz must have rows \* n values/);
  assert.throws(() => a.denseGrad(F(12), F(12), F(12), F(3), 3, 4, 1, 1), /denseGrad: .* db n/);
  assert.throws(() => a.denseGrad(F(12), F(12), F(12), F(4), 3, 4, 2, 1), /denseGrad: act must be 1 \(relu\) or 4 \(sigmoid\)/);
  assert.throws(() => a.mseSum(F(3), F(4)), /mseSum: pred and target must have the same length/);
  assert.throws(() => a.mseGrad(F(3), F(3), F(2), 1), /mseGrad: pred, target and out must have the same length/);
  assert.throws(() => a.mseGrad(F(3), F(3), F(3), 'x' as unknown as number), /mseGrad: c must be a number/);
  // the sum of squares in double precision, the gradient c (p - t) rounded once
  assert.equal(a.mseSum(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), Float32Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0.5)), 276.25);
  const o = F(2);
  a.mseGrad(Float32Array.of(0.1, 1), Float32Array.of(0.3, 0), o, 1 / 3);
  assert.deepEqual(Array.from(o), [Math.fround((1 / 3) * (Math.fround(0.1) - Math.fround(0.3))), Math.fround(1 / 3)]);
});

test('losses: the native MSE and sigmoid cross-entropy kernels and their gradients equal the tfjs ops', { skip: skipNative }, async () => {
  await initBackend({ backend: 'wasm' });
  const rng = new Rng(12);
  const logits = tf.mul(randn([31, 1], rng), 4);
  const pred = tf.sigmoid(randn([7, 19], rng));
  const target = tf.sigmoid(randn([7, 19], rng));
  const losses: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Scalar][] = [
    ['mse', (a, b) => meanSquaredError(a, b)],
    ['xent 1', (a) => sigmoidCrossEntropy(a, 1)],
    ['xent 0', (a) => sigmoidCrossEntropy(a, 0)],
  ];
  for (const [name, f] of losses) {
    const args = name === 'mse' ? [pred, target] : [logits];
    const { stock, native } = await stockAndNative(() => {
      const g = tf.valueAndGrads((p: tf.Tensor, q?: tf.Tensor) => f(p, q ?? p))(args);
      return [g.value, ...g.grads];
    });
    stock.forEach((t, i) => assertClose(native[i], t, `${name} ${['value', 'd/da', 'd/db'][i]}`, 1e-5));
    tf.dispose([...stock, ...native]);
  }
  tf.dispose([logits, pred, target]);
});

test('Concat and SplitV: the native copies equal the stock kernels on every axis, with empty parts, and keep int32 on the stock path', { skip: skipNative }, async () => {
  await initBackend({ backend: 'wasm' });
  const rng = new Rng(5);
  const a = randn([100, 2], rng);
  const b = randn([100, 10], rng);
  const c = randn([3, 4, 5], rng);
  const d = randn([3, 4, 40], rng);
  const e = tf.zeros([3, 0, 5]);
  const { stock, native } = await stockAndNative(() => [
    tf.concat([a, b], 1),
    tf.concat([a, b, a], -1),
    tf.concat([a, a], 0),
    tf.concat([c, c, c], 1),
    tf.concat([c, e, c], 1),
    tf.concat([c, d], 2),
    ...tf.split(b, [2, 8], 1),
    ...tf.split(tf.concat([a, a], 0), 2, 0),
    ...tf.split(d, [30, 0, 10], 2),
    ...tf.split(c, [1, 3], 1),
    ...tf.split(c, 3, 0),
  ]);
  assert.equal(native.length, stock.length);
  stock.forEach((t, i) => {
    assert.deepEqual(native[i].shape, t.shape, `result ${i}: shape`);
    assert.deepEqual(Array.from(native[i].dataSync()), Array.from(t.dataSync()), `result ${i}: values`);
  });
  const ints = tf.concat([tf.tensor2d([[1], [2]], [2, 1], 'int32'), tf.tensor2d([[3], [4]], [2, 1], 'int32')], 1);
  assert.equal(ints.dtype, 'int32');
  assert.deepEqual(Array.from(ints.dataSync()), [1, 3, 2, 4]);
  tf.dispose([a, b, c, d, e, ints, ...stock, ...native]);
});

test('saved tensors: shared with their originals on wasm-blas (no Identity kernel, no tensor left), the same gradients; a gradient of a gradient still right', { skip: skipNative }, async () => {
  await initBackend({ backend: 'wasm' });
  const rng = new Rng(8);
  const x = randn([20, 30], rng);
  const w = tf.variable(randn([30, 40], rng));
  const b = tf.variable(randn([40], rng));
  const loss = () => tf.sum(tf.sigmoid(tf.relu(tf.add(tf.matMul(x, w), b)))) as tf.Scalar;
  const grads = () => {
    const { value, grads } = tf.variableGrads(loss, [w, b]);
    return [value, grads[w.name], grads[b.name]];
  };
  const { stock, native } = await stockAndNative(grads);
  stock.forEach((t, i) => assertClose(native[i], t, `gradient ${i}`, 1e-5));
  // on wasm-blas now: the saved tensors are shared, so no Identity kernel runs, and none is left over
  const before = tf.memory().numTensors;
  const profile = await tf.profile(() => tf.dispose(grads()));
  assert.deepEqual(profile.kernels.filter((k) => k.name === 'Identity').length, 0, 'Identity kernels: ' + profile.kernelNames.join(', '));
  assert.equal(tf.memory().numTensors, before);
  // d/dx of sum(d/dx sum(x^3)) = d/dx sum(3 x^2) = 6 x: the inner gradient's saved tensors keep tfjs's clone
  const v = tf.tensor1d([0.5, -1.25, 2]);
  const second = tf.grad((u: tf.Tensor) => tf.sum(tf.grad((y: tf.Tensor) => tf.sum(tf.mul(tf.mul(y, y), y)))(u)))(v);
  assert.deepEqual(Array.from(second.dataSync()), [3, -7.5, 12]);
  tf.dispose([x, w, b, v, second, ...stock, ...native]);
});

test('Identity and same-dtype Cast share buffers; a clone of a variable survives the in-place Adam update', { skip: skipNative }, async () => {
  await initBackend({ backend: 'wasm-blas' });
  const w = tf.variable(tf.tensor1d([1, 2, 3]));
  const c = w.clone();
  const opt = new Adam([w]);
  opt.apply({ [w.name]: tf.ones([3]) }, 0.5);
  assert.deepEqual(Array.from(c.dataSync()), [1, 2, 3]);
  assert.ok(w.dataSync()[0] < 1, 'the variable moved');
  const d = tf.clone(c);
  const e = tf.cast(c, 'float32');
  c.dispose();
  assert.deepEqual(Array.from(d.dataSync()), [1, 2, 3]);
  assert.deepEqual(Array.from(e.dataSync()), [1, 2, 3]);
  const i = tf.cast(tf.tensor1d([1.7, -2.2]), 'int32');
  assert.equal(i.dtype, 'int32');
  assert.deepEqual(Array.from(i.dataSync()), [1, -2]);
  tf.dispose([e, i]);
  opt.dispose();
  tf.dispose([w, d]);
});

test('the sigmoid epilogue: its sixteen-at-a-time form gives the same bits as the one-at-a-time expf form, special inputs included', { skip: skipNative }, () => {
  // A row of values as a product's bias (0 x 0 + bias, exact) takes the vector form; the same values
  // as a column (one per row) take the scalar form, 1 / (1 + expf(-x)).
  const rng = new Rng(5);
  const special = [0, -0, 1e-45, -1e-45, 1e-38, 87.9, -87.9, 88, -88, 88.7, -88.8, 89, -89, 103.9, -103.9, 104, -104, 200, -200, 3e38, -3e38, Infinity, -Infinity, NaN];
  const n = 1 << 20;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = i < special.length ? special[i] : i % 2 ? (rng.uniform() - 0.5) * 60 : (rng.uniform() - 0.5) * 240;
  const zeros = new Float32Array(n);
  const vector = new Float32Array(n);
  const scalar = new Float32Array(n);
  addon!.fusedMatMul(new Float32Array(1), zeros, vector, 1, 1, n, 1, false, false, 0, 0, x, 4, 0);
  for (let i = 0; i < n; i++) addon!.fusedMatMul(new Float32Array(1), zeros.subarray(0, 1), scalar.subarray(i, i + 1), 1, 1, 1, 1, false, false, 0, 0, x.subarray(i, i + 1), 4, 0);
  for (let i = 0; i < n; i++) {
    if (!Object.is(vector[i], scalar[i])) assert.fail(`sigmoid(${x[i]}): ${vector[i]} sixteen at a time, ${scalar[i]} one at a time`);
  }
  assert.equal(vector[special.indexOf(Infinity)], 1);
  assert.equal(vector[special.indexOf(-Infinity)], 0);
  assert.ok(Number.isNaN(vector[special.length - 1]));
});

test('AAE training steps on wasm-blas follow the stock wasm ones (both models, dropout on)', { skip: skipNative }, async () => {
  const data = loadMnist();
  const order = epochOrder(data.train.count, null);
  for (const model of ['supervised', 'semi_supervised'] as const) {
    const run = async (backend: string) => {
      await initBackend({ backend });
      const cfg = makeConfig({ model, nHidden: 48, nZ: 2, batchSize: 20, keepProb: 0.9, seed: 3 });
      const m = createModel(cfg);
      const rng = new Rng(4);
      const losses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const batch = makeBatch(data.train, order, i, 20, 0.3, rng);
        const labeled = model === 'semi_supervised' ? makeBatch(data.validation, order, i, 20, 0, rng) : null;
        losses.push(...Object.values(m.trainStep(batch, labeled, 1e-3, rng)));
      }
      const w = m.namedWeights().map(([, v]) => tf.tensor(v.dataSync().slice(), v.shape));
      m.dispose();
      return { losses, w };
    };
    const stock = await run('wasm');
    const native = await run('wasm-blas');
    stock.losses.forEach((l, i) => assert.ok(Math.abs(native.losses[i] - l) <= 1e-4 * Math.max(1, Math.abs(l)), `${model} loss ${i}: ${native.losses[i]} vs ${l}`));
    stock.w.forEach((w, i) => assertClose(native.w[i], w, `${model} weight ${i}`, 1e-3));
    tf.dispose([...stock.w, ...native.w]);
  }
});

test(
  'dense products: each engine (the AVX-512 sgemm where the CPU has it, OpenBLAS) equals stock wasm; the AVX-512 one is bit-identical on 1, 2 and 3 threads; AAE_GEMM chooses',
  { skip: skipNative },
  async () => {
    const first = addon!.denseConfig().gemm;
    const threads = addon!.getThreads();
    const engines = [...new Set([first, 'openblas' as const])];
    const rng = new Rng(11);
    // odd sizes (column tails of the 32-column strips, row tails of the 8-row panels); the last ones are
    // large enough to be split over threads
    const cases: [number[], number[], boolean, boolean][] = [
      [[37, 67], [67, 101], false, false],
      [[2, 67, 37], [2, 67, 101], true, false],
      [[3, 37, 67], [101, 67], false, true],
      [[300, 200], [300, 1000], true, false],
      [[200, 1000], [784, 1000], false, true],
      [[4, 100, 300], [300, 700], false, false],
      // last panels of 1 to 4 rows (their own half-width kernel): 99 and 90 rows, 33 transposed
      [[99, 300], [300, 200], false, false],
      [[300, 90], [300, 500], true, false],
      [[33, 130], [70, 130], false, true],
      // more rows than the strip-at-a-time variant takes (its packed rows would not fit in L2)
      [[1000, 600], [1000, 300], true, false],
      [[600, 1000], [300, 1000], false, true],
      // few columns (the narrow variant, up to four columns at a time): 1, 2, 5, 7 and 8 columns,
      // inner sizes over one 256-row block
      [[37, 600], [600, 1], false, false],
      [[300, 1000], [300, 2], true, false],
      [[45, 270], [270, 5], false, false],
      [[101, 300], [7, 300], false, true],
      [[270, 45], [8, 270], true, true],
      [[2, 60, 520], [520, 2], false, false],
      // one strip of columns, split over the threads by rows: 20 columns, 12 transposed, a batch
      // of three by one right-hand matrix
      [[99, 1000], [1000, 20], false, false],
      [[200, 1000], [12, 1000], false, true],
      [[3, 100, 700], [700, 16], false, false],
      // few sums, many outputs (split over the threads all the same): k 12, and an outer product
      [[200, 12], [12, 1000], false, false],
      [[200, 1], [1000, 1], false, true],
    ];
    try {
      for (const gemm of engines) {
        assert.deepEqual(addon!.denseConfig({ gemm }), { gemm });
        for (const [sa, sb, ta, tb] of cases) {
          const a = randn(sa, rng);
          const b = randn(sb, rng);
          const { stock, native } = await stockAndNative(() => tf.matMul(a, b, ta, tb));
          assertClose(native[0], stock[0], `${gemm}: matMul ${sa} x ${sb} transposeA=${ta} transposeB=${tb}`);
          if (gemm === 'avx512') {
            const once = native[0].dataSync().slice();
            for (const n of [1, 3, 2]) {
              addon!.setThreads(n);
              const again = tf.matMul(a, b, ta, tb);
              assert.ok(
                again.dataSync().every((v, i) => Object.is(v, once[i])),
                `avx512 on ${n} thread(s) gives the same bits as on ${threads}: ${sa} x ${sb}`,
              );
              again.dispose();
            }
            addon!.setThreads(threads);
          }
          tf.dispose([a, b, ...stock, ...native]);
        }
      }
      assert.throws(() => addon!.denseConfig({ gemm: 'mkl' as 'openblas' }), /gemm must be 'avx512' or 'openblas'/);
      // AAE_GEMM at backend start: both engines of the products, and a clear error for an unknown name
      const saved = process.env.AAE_GEMM;
      try {
        process.env.AAE_GEMM = 'openblas';
        await initBackend({ backend: 'wasm' });
        const info = await initBackend({ backend: 'wasm-blas' });
        assert.deepEqual(addon!.denseConfig(), { gemm: 'openblas' });
        assert.equal(addon!.convConfig().gemm, 'openblas');
        assert.match(info.description, /OpenBLAS matmul/);
        process.env.AAE_GEMM = 'mkl';
        await initBackend({ backend: 'wasm' });
        await assert.rejects(initBackend({ backend: 'wasm-blas' }), /unknown AAE_GEMM "mkl"; valid choices: avx512, openblas/);
      } finally {
        if (saved === undefined) delete process.env.AAE_GEMM;
        else process.env.AAE_GEMM = saved;
      }
    } finally {
      addon!.setThreads(threads);
      addon!.denseConfig({ gemm: first });
      addon!.convConfig({ gemm: first });
      await initBackend({ backend: 'wasm-blas' });
    }
  },
);
