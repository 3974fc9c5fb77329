/**
 * The native convolution kernels of wasm-blas (Conv2D, FusedConv2D, Conv2DBackpropInput,
 * Conv2DBackpropFilter: lib/backend/kernels.ts, native/src/conv.c) against the tfjs cpu backend's
 * kernels, and a small tfjs-layers conv autoencoder trained on wasm-blas.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, loadNativeAddon } from '../lib/backend';
import { Adam } from '../lib/nn/adam';
import { meanSquaredError } from '../lib/nn/losses';
import { Rng } from '../lib/random';
import { convAutoencoder, layersVariables } from '../bench/conv';

const addon = loadNativeAddon().addon;
const skipNative = addon ? false : `the aae-lab-native addon is not built (${loadNativeAddon().error}); install libopenblas-dev and run npm install`;

/** The convolutions' product kernels this machine runs: the addon's AVX-512 one (its default where the CPU has AVX-512) and OpenBLAS. */
function gemmKinds(): ('avx512' | 'openblas')[] {
  if (!addon) return [];
  const first = addon.convConfig().gemm;
  try {
    addon.convConfig({ gemm: 'avx512' });
    return ['avx512', 'openblas'];
  } catch {
    return ['openblas'];
  } finally {
    addon.convConfig({ gemm: first });
  }
}
const GEMMS = gemmKinds();

after(async () => {
  await initBackend({});
});

type Pad = 'same' | 'valid' | number;

interface ConvCase {
  batch: number;
  h: number;
  w: number;
  c: number;
  f: number;
  fh: number;
  fw: number;
  strides: [number, number];
  pad: Pad;
  dilations: [number, number];
}

function uniform(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 2 * rng.uniform() - 1;
  return out;
}

/** Random convolutions: strides 1 and 2 (and mixed), 'same', 'valid' and numeric padding, batch and channels above 1. */
function randomCases(rng: Rng, count: number): ConvCase[] {
  const strides: [number, number][] = [
    [1, 1],
    [2, 2],
    [1, 2],
    [2, 1],
  ];
  const pads: Pad[] = ['same', 'valid', 1, 2];
  const cases: ConvCase[] = [];
  for (let i = 0; i < count; i++) {
    const fh = 1 + rng.int(5);
    const fw = 1 + rng.int(5);
    const c: ConvCase = {
      batch: 1 + rng.int(4),
      h: fh + rng.int(8),
      w: fw + rng.int(8),
      c: 1 + rng.int(5),
      f: 1 + rng.int(6),
      fh,
      fw,
      strides: strides[i % strides.length],
      pad: pads[Math.floor(i / strides.length) % pads.length],
      dilations: [1, 1],
    };
    cases.push(c);
  }
  return cases;
}

/** max |a - b| <= tol (1 + max |b|), element by element shapes equal. */
function assertClose(a: { shape: number[]; values: Float32Array }, b: { shape: number[]; values: Float32Array }, what: string, tol = 1e-5): void {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  let scale = 0;
  for (const v of b.values) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < b.values.length; i++) {
    const d = Math.abs(a.values[i] - b.values[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  assert.ok(worst <= tol * (1 + scale), `${what}: max difference ${worst} at ${at} (${a.values[at]} vs ${b.values[at]}), scale ${scale}`);
}

interface Result {
  shape: number[];
  values: Float32Array;
}

const read = (t: tf.Tensor): Result => ({ shape: t.shape, values: t.dataSync().slice() as Float32Array });

/**
 * For one case on the current backend, named: conv2d and its gradients (dx, dfilter, with dy = r,
 * through the sum of conv2d(x, w) * r), conv2dTranspose of y-shaped input by the same filter and its
 * gradients, and a fused conv2d with bias and relu; or with depthwise, the same for depthwiseConv2d
 * (no transposed form). Gradients only at dilation 1 (tfjs has none for others).
 */
function runCase(k: ConvCase, data: { x: Float32Array; w: Float32Array; r: Float32Array; b: Float32Array }, outShape: number[], depthwise: boolean): [string, Result][] {
  const out: [string, Result][] = [];
  const name = depthwise ? 'depthwiseConv2d' : 'conv2d';
  tf.tidy(() => {
    const x = tf.tensor4d(data.x, [k.batch, k.h, k.w, k.c]);
    const w = tf.tensor4d(data.w, [k.fh, k.fw, k.c, k.f]);
    const r = tf.tensor4d(data.r, outShape as [number, number, number, number]);
    const b = tf.tensor1d(data.b);
    const conv = (xx: tf.Tensor4D, ww: tf.Tensor4D) => (depthwise ? tf.depthwiseConv2d : tf.conv2d)(xx, ww, k.strides, k.pad, 'NHWC', k.dilations);
    out.push([name, read(conv(x, w))]);
    if (k.dilations[0] === 1 && k.dilations[1] === 1) {
      const [dx, dw] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(conv(xx as tf.Tensor4D, ww as tf.Tensor4D), r)))([x, w]);
      out.push([`${name} dx`, read(dx)], [`${name} dfilter`, read(dw)]);
    }
    if (!depthwise && k.dilations[0] === 1 && k.dilations[1] === 1) {
      // conv2dTranspose: r (the output's shape) back to x's shape (its forward is Conv2DBackpropInput;
      // its gradients are Conv2D and Conv2DBackpropFilter with the roles swapped).
      const shapeX: [number, number, number, number] = [k.batch, k.h, k.w, k.c];
      out.push(['conv2dTranspose', read(tf.conv2dTranspose(r, w, shapeX, k.strides, k.pad))]);
      const [dr, dwt] = tf.grads((rr: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(tf.conv2dTranspose(rr as tf.Tensor4D, ww as tf.Tensor4D, shapeX, k.strides, k.pad), x)))([r, w]);
      out.push(['conv2dTranspose dx (Conv2D)', read(dr)], ['conv2dTranspose dfilter', read(dwt)]);
    }
    const fused = { x, filter: w, strides: k.strides, pad: k.pad, dilations: k.dilations, bias: b, activation: 'relu' as const };
    out.push([`fused ${name} + bias + relu`, read(depthwise ? tf.fused.depthwiseConv2d(fused) : tf.fused.conv2d(fused))]);
  });
  return out;
}

/** Runs each case on cpu and on wasm-blas and compares every result; returns how many were compared. */
async function compareCases(cases: ConvCase[], rng: Rng, depthwise = false): Promise<number> {
  let checked = 0;
  for (const k of cases) {
    const outShape = tf.backend_util.computeConv2DInfo([k.batch, k.h, k.w, k.c], [k.fh, k.fw, k.c, k.f], k.strides, k.dilations, k.pad, undefined, depthwise).outShape;
    const outChannels = depthwise ? k.c * k.f : k.f;
    const data = { x: uniform(k.batch * k.h * k.w * k.c, rng), w: uniform(k.fh * k.fw * k.c * k.f, rng), r: uniform(tf.util.sizeFromShape(outShape), rng), b: uniform(outChannels, rng) };
    await initBackend({ backend: 'cpu' });
    const ref = runCase(k, data, outShape, depthwise);
    await initBackend({ backend: 'wasm-blas' });
    // Every product kernel (depthwise convolutions have none).
    for (const gemm of depthwise ? [GEMMS[0]] : GEMMS) {
      addon!.convConfig({ gemm });
      const got = runCase(k, data, outShape, depthwise);
      assert.equal(got.length, ref.length);
      got.forEach(([name, g], i) => assertClose(g, ref[i][1], `${name} (products: ${gemm}) of ${JSON.stringify(k)}`));
      checked += got.length;
    }
    addon!.convConfig({ gemm: GEMMS[0] });
  }
  return checked;
}

test('conv kernels on wasm-blas equal the cpu backend: random shapes, strides 1 and 2, same/valid/numeric padding, forward and both gradients', { skip: skipNative }, async () => {
  const rng = new Rng(11);
  const checked = await compareCases(randomCases(rng, 32), rng);
  assert.equal(checked, 32 * 7 * GEMMS.length);
});

test('conv kernels: dilated forward, 1x1 filters (the patch matrix is x itself), filters as large as the input', { skip: skipNative }, async () => {
  const rng = new Rng(12);
  const base = { batch: 2, h: 7, w: 6, c: 3, f: 4, pad: 'same' as Pad, strides: [1, 1] as [number, number], dilations: [1, 1] as [number, number] };
  await compareCases(
    [
      { ...base, fh: 3, fw: 2, dilations: [2, 2] },
      { ...base, fh: 3, fw: 3, dilations: [2, 1], pad: 'valid' },
      { ...base, fh: 1, fw: 1 },
      { ...base, fh: 1, fw: 1, strides: [2, 2] },
      // 1x1 in several chunks (8 images each) across workers.
      { ...base, batch: 16, h: 16, w: 16, c: 64, f: 32, fh: 1, fw: 1 },
      { ...base, fh: 7, fw: 6, pad: 'valid' },
      { ...base, fh: 5, fw: 5, strides: [2, 2], pad: 'same', batch: 1, c: 1, f: 1 },
    ],
    rng,
  );
});

test('conv kernels: the bench layers (28x28x1 and 14x14x32, 5x5 stride 2), in several chunks, equal the cpu backend', { skip: skipNative }, async () => {
  const rng = new Rng(13);
  const k = { fh: 5, fw: 5, strides: [2, 2] as [number, number], pad: 'same' as Pad, dilations: [1, 1] as [number, number] };
  // 3 and 26 images per chunk (native/src/conv.c, CHUNK_VALUES), 3 chunks each.
  await compareCases(
    [
      { ...k, batch: 8, h: 14, w: 14, c: 32, f: 16 },
      { ...k, batch: 60, h: 28, w: 28, c: 1, f: 32 },
    ],
    rng,
  );
});

/** The bench's second layer (x [100, 14, 14, 32], filter 5x5x32x64, stride 2) on random values, and run(): its forward, dx (as conv2dTranspose of dy) and dfilter values. */
function benchLayer(seed: number) {
  const rng = new Rng(seed);
  const x = tf.tensor4d(uniform(100 * 14 * 14 * 32, rng), [100, 14, 14, 32]);
  const w = tf.tensor4d(uniform(5 * 5 * 32 * 64, rng), [5, 5, 32, 64]);
  const dy = tf.tensor4d(uniform(100 * 7 * 7 * 64, rng), [100, 7, 7, 64]);
  const run = (): Float32Array[] => {
    const out: Float32Array[] = [];
    tf.tidy(() => {
      out.push(read(tf.conv2d(x, w, 2, 'same')).values, read(tf.conv2dTranspose(dy, w, [100, 14, 14, 32], 2, 'same')).values);
      out.push(read(tf.grad((ww: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, ww as tf.Tensor4D, 2, 'same'), dy)))(w)).values);
    });
    return out;
  };
  return { x, w, dy, run, dispose: () => tf.dispose([x, w, dy]) };
}

test('conv kernels: one worker or two (a bench-sized layer, above SMALL_CONV) give the same values, forward and both gradients', { skip: skipNative }, async () => {
  await initBackend({ backend: 'wasm-blas' });
  const layer = benchLayer(20);
  const threads = addon!.getThreads();
  try {
    addon!.setThreads(2);
    for (const gemm of GEMMS) {
      addon!.convConfig({ gemm, workers: 'one' });
      const one = layer.run();
      addon!.convConfig({ workers: 'all' });
      const two = layer.run();
      ['forward', 'dx', 'dfilter'].forEach((name, i) => assert.deepEqual(two[i], one[i], `${name} (products: ${gemm})`));
    }
  } finally {
    addon!.setThreads(threads);
    addon!.convConfig({ gemm: GEMMS[0], workers: 'load' });
    layer.dispose();
  }
});

test('depthwise conv kernels on wasm-blas (missing gradients of stock wasm) equal the cpu backend: channel multipliers 1 to 3, strides, paddings, dilation', { skip: skipNative }, async () => {
  const rng = new Rng(18);
  const cases = randomCases(rng, 16).map((k, i) => ({ ...k, f: 1 + (i % 3), strides: (i % 4 === 3 ? [1, 1] : k.strides) as [number, number] }));
  // Dilated forward only (either strides or dilations must be 1).
  cases.push({ batch: 2, h: 9, w: 8, c: 3, f: 2, fh: 3, fw: 2, strides: [1, 1], pad: 'same', dilations: [2, 2] });
  const checked = await compareCases(cases, rng, true);
  assert.equal(checked, 16 * 4 + 2);
});

test('fused conv2d on wasm-blas: every activation, with and without bias, equals the cpu backend', { skip: skipNative }, async () => {
  const rng = new Rng(14);
  const x = uniform(2 * 6 * 5 * 3, rng);
  const w = uniform(3 * 3 * 3 * 4, rng);
  const b = uniform(4, rng);
  const alpha = uniform(4, rng);
  const run = (): Result[] => {
    const out: Result[] = [];
    tf.tidy(() => {
      out.push(
        ...(['linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid', 'elu', 'prelu'] as const).flatMap((activation) =>
          [true, false].map((withBias) =>
            read(
              tf.fused.conv2d({
                x: tf.tensor4d(x, [2, 6, 5, 3]),
                filter: tf.tensor4d(w, [3, 3, 3, 4]),
                strides: 2,
                pad: 'same',
                bias: withBias ? tf.tensor1d(b) : undefined,
                activation,
                preluActivationWeights: activation === 'prelu' ? tf.tensor1d(alpha) : undefined,
                leakyreluAlpha: 0.3,
              }),
            ),
          ),
        ),
      );
    });
    return out;
  };
  await initBackend({ backend: 'cpu' });
  const ref = run();
  await initBackend({ backend: 'wasm-blas' });
  const got = run();
  got.forEach((g, i) => assertClose(g, ref[i], `fused conv2d case ${i}`));
});

test('conv kernels: bit-identical when repeated; refusals are one-line errors; the stock wasm backend is restored', { skip: skipNative }, async () => {
  await initBackend({ backend: 'wasm-blas' });
  const layer = benchLayer(15);
  const { x, dy } = layer;
  for (const gemm of GEMMS) {
    addon!.convConfig({ gemm });
    const a = layer.run();
    const b = layer.run();
    a.forEach((v, i) => assert.deepEqual(b[i], v, `repeat ${i} (products: ${gemm})`));
  }
  addon!.convConfig({ gemm: GEMMS[0] });
  assert.throws(() => addon!.convConfig({ gemm: 'sse' as 'avx512' }), /^Error: aae-lab-native: convConfig: gemm must be 'avx512' or 'openblas'$/);
  assert.throws(() => addon!.convConfig({ workers: 2 as unknown as 'all' }), /^Error: aae-lab-native: convConfig: workers must be 'load', 'all' or 'one'$/);

  // NCHW is refused by name (the stock wasm Conv2D refuses it too).
  assert.throws(
    () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [5, 5, 32, 64] }),
    (e: Error) => /^wasm-blas Conv2DBackpropFilter: only dataFormat 'NHWC'/.test(e.message) && !e.message.includes('\n'),
  );
  // A dy of the wrong shape.
  assert.throws(
    () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: tf.zeros([100, 6, 7, 64]) }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [5, 5, 32, 64] }),
    /^Error: wasm-blas Conv2DBackpropFilter: dy has shape \[100,6,7,64\], the convolution of \[100,14,14,32\] by \[5,5,32,64\] gives \[100,7,7,64\]$/,
  );
  // The addon checks its arguments itself.
  const n = addon!;
  assert.throws(() => n.conv2d(new Float32Array(4), new Float32Array(4), new Float32Array(4), [1, 2, 2, 1], null, 0, 0), /geometry must be an array of 15 numbers/);
  assert.throws(() => n.conv2d(new Float32Array(3), new Float32Array(1), new Float32Array(4), [1, 2, 2, 1, 2, 2, 1, 1, 1, 1, 1, 1, 1, 0, 0], null, 0, 0), /an array is too small/);
  assert.throws(() => n.conv2dBackpropFilter(new Float32Array(4), new Float32Array(4), new Float32Array(1), [1, 2, 2, 1, 2, 2, 1, 1, 1, 0, 1, 1, 1, 0, 0]), /strides and dilations must be at least 1/);
  assert.throws(() => n.conv2dBackpropInput(new Float32Array(4), new Float32Array(1), new Float32Array(4), [1, 2, 2, 1, 2, 2, 1, 1, 1, 1, 1, 1, 1, -1, 0]), /integers from 0/);
  layer.dispose();

  assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'));
  await initBackend({ backend: 'wasm' });
  assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined, 'stock wasm has no Conv2DBackpropFilter again');
  await initBackend({ backend: 'wasm-blas' });
  assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'));
});

test('a conv filter updated in place by the native Adam is seen by the next convolution', { skip: skipNative }, async () => {
  // The stock wasm Conv2D packs a filter once per tensor (XNNPACK) and would keep using the old values.
  await initBackend({ backend: 'wasm-blas' });
  const rng = new Rng(16);
  const x = tf.tensor4d(uniform(2 * 6 * 6 * 2, rng), [2, 6, 6, 2]);
  const w = tf.variable(tf.tensor4d(uniform(3 * 3 * 2 * 3, rng), [3, 3, 2, 3]));
  const opt = new Adam([w]);
  const loss = (): tf.Scalar => tf.sum(tf.conv2d(x, w, 1, 'same'));
  // The first update may give the variable a buffer of its own (nativeAdamUpdate); later ones write in place.
  opt.minimize(loss, 0.1);
  const dataId = w.dataId;
  const before = tf.conv2d(x, w, 1, 'same').dataSync().slice();
  opt.minimize(loss, 0.1);
  assert.equal(w.dataId, dataId, 'the second update is in place');
  const afterUpdate = tf.conv2d(x, w, 1, 'same');
  const ww = tf.tensor4d(w.dataSync().slice(), [3, 3, 2, 3]);
  const fresh = tf.conv2d(x, ww, 1, 'same');
  const expected = read(fresh);
  tf.dispose([ww, fresh]);
  assert.notDeepEqual(read(afterUpdate).values, before);
  assertClose(read(afterUpdate), expected, 'conv2d after the in-place update');
  tf.dispose([x, w, afterUpdate]);
  opt.dispose();
});

test('a tfjs-layers conv autoencoder trains on wasm-blas (conv and conv2dTranspose layers, project Adam): the loss goes down', { skip: skipNative }, async () => {
  await initBackend({ backend: 'wasm-blas' });
  const rng = new Rng(17);
  // 16 images of 12x12x1: blurred random blobs in [0, 1].
  const n = 16;
  const side = 12;
  const images = new Float32Array(n * side * side);
  for (let i = 0; i < n; i++) {
    const cy = 2 + rng.uniform() * 8;
    const cx = 2 + rng.uniform() * 8;
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) images[(i * side + y) * side + x] = Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / 6);
  }
  const model = convAutoencoder({ side, channels: 1, code: 4, seed: 5 });
  const opt = new Adam(layersVariables(model));
  const x = tf.tensor4d(images, [n, side, side, 1]);
  const losses: number[] = [];
  for (let step = 0; step < 30; step++) losses.push(opt.minimize(() => meanSquaredError(model.apply(x) as tf.Tensor, x), 3e-3));
  assert.ok(losses.every(Number.isFinite), `finite losses: ${losses}`);
  const first = losses[0];
  const last = losses[losses.length - 1];
  assert.ok(last < 0.6 * first, `the loss goes down: ${first.toFixed(4)} -> ${last.toFixed(4)} (${losses.map((l) => l.toFixed(4)).join(' ')})`);
  x.dispose();
  model.dispose();
  opt.dispose();
});

test('tfjs-layers image layers train on wasm-blas without a missing kernel (batch norm, pooling, upsampling, depthwise, separable, transposed, padding)', { skip: skipNative }, async () => {
  await initBackend({ backend: 'wasm-blas' });
  const input = { inputShape: [8, 8, 2] };
  const stacks: [string, () => tf.layers.Layer[]][] = [
    ['batch norm', () => [tf.layers.conv2d({ ...input, filters: 4, kernelSize: 3, padding: 'same' }), tf.layers.batchNormalization()]],
    ['max pooling', () => [tf.layers.conv2d({ ...input, filters: 4, kernelSize: 3 }), tf.layers.maxPooling2d({ poolSize: 2 })]],
    ['average pooling', () => [tf.layers.conv2d({ ...input, filters: 4, kernelSize: 3 }), tf.layers.averagePooling2d({ poolSize: 2 })]],
    ['upsampling', () => [tf.layers.conv2d({ ...input, filters: 4, kernelSize: 3, padding: 'same' }), tf.layers.upSampling2d({ size: [2, 2] })]],
    ['leaky relu, dropout', () => [tf.layers.conv2d({ ...input, filters: 4, kernelSize: 3, strides: 2 }), tf.layers.leakyReLU(), tf.layers.dropout({ rate: 0.3 })]],
    [
      'elu, tanh, selu transposed',
      () => [
        tf.layers.conv2d({ ...input, filters: 4, kernelSize: 3, activation: 'elu' }),
        tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'tanh' }),
        tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, activation: 'selu' }),
      ],
    ],
    ['depthwise, separable', () => [tf.layers.depthwiseConv2d({ ...input, kernelSize: 3, depthMultiplier: 2 }), tf.layers.separableConv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' })]],
    [
      'zero padding, prelu, cropping',
      () => [tf.layers.zeroPadding2d({ ...input, padding: 1 }), tf.layers.conv2d({ filters: 4, kernelSize: 3 }), tf.layers.prelu({}), tf.layers.cropping2D({ cropping: 1 })],
    ],
  ];
  const rng = new Rng(19);
  const x = tf.tensor4d(uniform(4 * 8 * 8 * 2, rng), [4, 8, 8, 2]);
  const y = tf.tensor2d(uniform(4 * 3, rng), [4, 3]);
  for (const [name, make] of stacks) {
    const m = tf.sequential({ layers: [...make(), tf.layers.flatten(), tf.layers.dense({ units: 3 })] });
    const opt = new Adam(layersVariables(m));
    const losses = [0, 1].map(() => opt.minimize(() => meanSquaredError(m.apply(x, { training: true }) as tf.Tensor, y), 1e-3));
    assert.ok(losses.every(Number.isFinite), `${name}: ${losses}`);
    m.dispose();
    opt.dispose();
  }
  tf.dispose([x, y]);
});
