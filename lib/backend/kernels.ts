/**
 * The native fast path of the wasm backend ('wasm-blas'). The optional addon `aae-lab-native`
 * (native/, built against OpenBLAS at install) takes over these wasm kernels: the matrix products
 * (BatchMatMul; _FusedMatMul with bias and activation), the leading-axes Sum of bias gradients,
 * Identity and same-dtype Cast (shared buffers, not copies), and the 2-D convolutions, plain and
 * depthwise, with their gradients (Conv2DBackpropFilter and the depthwise gradients are missing
 * from stock wasm). It also runs the Adam update of each
 * variable as one native loop, and adds a kernel of its own, AaeDense (a dense
 * layer's product, bias, activation and dropout in one kernel, with its gradient), which the layers
 * use on this backend. Every native kernel works in place on the
 * wasm heap: `backend.makeOutput` allocates the result there and `backend.typedArrayFromHeap` gives
 * Float32Array views of inputs and output, so nothing is copied. Cases the native kernels do not
 * cover (other dtypes, batch shapes that broadcast other than from one, other activations) go to
 * the stock wasm kernels, kept at installation.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from './addon';
import { DENSE, DENSE_GRAD, MSE, MSE_GRAD, SIGMOID_XENT, SIGMOID_XENT_GRAD, registerNativeGradients, type DenseAttrs } from './gradients';
/** Activation codes of the addon's fusedMatMul (with AFTER below; any other runs on the stock kernel). */
const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3, sigmoid: 4 };
/** Activations applied after the native product by the wasm backend's own kernel. */
const AFTER: Record<string, string> = { elu: 'Elu', prelu: 'Prelu' };

type KernelArgs = { inputs: { [name: string]: tf.TensorInfo }; backend: BackendWasm; attrs: Record<string, unknown> };
type Kernel = (args: KernelArgs) => tf.TensorInfo;

const heap = (backend: BackendWasm, t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;

/** Shapes of a (batched) matrix product, as the stock kernels compute them; null if batches do not broadcast from one. */
function productShape(a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean, transB: boolean) {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const k = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transB ? b.shape[rb - 1] : b.shape[rb - 2];
  const m = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const n = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) {
    throw new Error(`Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} ` + `and transposeA=${transA} and transposeB=${transB} must match.`);
  }
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = tf.util.sizeFromShape(outer);
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return null;
  return {
    m,
    n,
    k,
    batch,
    strideA: batchA === 1 ? 0 : m * k,
    strideB: batchB === 1 ? 0 : k * n,
    outShape: [...outer, m, n],
  };
}

function makeBatchMatMul(addon: NativeAddon, stock: Kernel): Kernel {
  return (args) => {
    const { a, b } = args.inputs;
    const transA = !!args.attrs.transposeA;
    const transB = !!args.attrs.transposeB;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock(args);
    const s = productShape(a, b, transA, transB);
    if (!s) return stock(args);
    const backend = args.backend;
    const out = backend.makeOutput(s.outShape, 'float32');
    if (s.batch * s.m * s.n === 0) return out;
    // Views are taken after makeOutput: allocating may grow (and replace) the wasm memory buffer.
    addon.fusedMatMul(heap(backend, a), heap(backend, b), heap(backend, out), s.batch, s.m, s.n, s.k, transA, transB, s.strideA, s.strideB, null, ACTIVATIONS.linear, 0);
    return out;
  };
}

function makeFusedMatMul(addon: NativeAddon, stock: Kernel): Kernel {
  return (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs;
    const transA = !!args.attrs.transposeA;
    const transB = !!args.attrs.transposeB;
    const activation = String(args.attrs.activation ?? 'linear');
    const after = AFTER[activation];
    const act = after ? ACTIVATIONS.linear : ACTIVATIONS[activation];
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || act === undefined) return stock(args);
    const s = productShape(a, b, transA, transB);
    if (!s) return stock(args);
    if (bias && (bias.dtype !== 'float32' || bias.shape.length !== 1 || (bias.shape[0] !== s.n && bias.shape[0] !== 1))) return stock(args);
    const backend = args.backend;
    const out = backend.makeOutput(s.outShape, 'float32');
    if (s.batch * s.m * s.n === 0) return out;
    const alpha = Number(args.attrs.leakyreluAlpha ?? 0.2);
    addon.fusedMatMul(heap(backend, a), heap(backend, b), heap(backend, out), s.batch, s.m, s.n, s.k, transA, transB, s.strideA, s.strideB, bias ? heap(backend, bias) : null, act, alpha);
    return after ? activateAfter(after, out, backend, preluActivationWeights) : out;
  };
}

/** elu / prelu after a native product with its bias: the wasm backend's own activation kernel on out (which it disposes). */
function activateAfter(after: string, out: tf.TensorInfo, backend: BackendWasm, preluActivationWeights: tf.TensorInfo | undefined): tf.TensorInfo {
  const kernel = tf.getKernel(after, 'wasm')!.kernelFunc as unknown as Kernel;
  const inputs: KernelArgs['inputs'] = after === 'Prelu' ? { x: out, alpha: preluActivationWeights! } : { x: out };
  try {
    return kernel({ inputs, backend, attrs: {} });
  } finally {
    backend.disposeData(out.dataId);
  }
}

/** Sum over leading axes (the bias gradient of a dense layer: rows summed in order); other sums are stock. */
function makeSum(addon: NativeAddon, stock: Kernel): Kernel {
  return (args) => {
    const { x } = args.inputs;
    if (x.dtype !== 'float32' || x.shape.length < 2) return stock(args);
    const axes = tf.util.parseAxisParam(args.attrs.axis as number | number[], x.shape).sort((p, q) => p - q);
    const r = axes.length;
    if (r === 0 || r >= x.shape.length || axes.some((ax, i) => ax !== i)) return stock(args);
    const rows = tf.util.sizeFromShape(x.shape.slice(0, r));
    const rest = x.shape.slice(r);
    const n = tf.util.sizeFromShape(rest);
    const outShape = args.attrs.keepDims ? [...x.shape.slice(0, r).map(() => 1), ...rest] : rest;
    const backend = args.backend;
    const out = backend.makeOutput(outShape, 'float32');
    if (n === 0) return out;
    if (rows === 0) heap(backend, out).fill(0);
    else addon.biasGrad(heap(backend, x), heap(backend, out), rows, n);
    return out;
  };
}

/**
 * Copies rows of `width` values between heap views (from[fi + r * fs ...] to to[ti + r * ts ...]):
 * element by element when rows are short (a subarray per row, as the stock Concat makes, costs more
 * than copying a few values), else by set.
 */
function copyRows(from: Float32Array, fi: number, fs: number, to: Float32Array, ti: number, ts: number, rows: number, width: number): void {
  if (width < 32) {
    for (let r = 0; r < rows; r++) for (let j = 0, f = fi + r * fs, t = ti + r * ts; j < width; j++) to[t + j] = from[f + j];
  } else {
    for (let r = 0; r < rows; r++) to.set(from.subarray(fi + r * fs, fi + r * fs + width), ti + r * ts);
  }
}

/**
 * Concat of float32 tensors as row copies over the heap: the stock kernel takes a subarray per row
 * and input (38-95 us to join a batch's codes to its one-hot labels, 100x2 and 100x10).
 */
function makeConcat(_addon: NativeAddon, stock: Kernel): Kernel {
  return (args) => {
    const all = args.inputs as unknown as tf.TensorInfo[];
    if (!Array.isArray(all) || all.length < 2 || all.some((t) => t.dtype !== 'float32')) return stock(args);
    const first = all[0].shape;
    const rank = first.length;
    const axis = tf.util.parseAxisParam(args.attrs.axis as number, first)[0];
    // the checks and the output shape of tfjs's assertParamsConsistent and computeOutShape
    const shape = first.slice();
    for (let i = 1; i < all.length; i++) {
      const s = all[i].shape;
      if (s.length !== rank || s.some((d, r) => r !== axis && d !== first[r])) return stock(args);
      shape[axis] += s[axis];
    }
    const parts = all.filter((t) => t.shape.every((d) => d > 0));
    if (parts.length < 2) return stock(args);
    const backend = args.backend;
    const out = backend.makeOutput(shape, 'float32');
    let rows = 1;
    for (let r = 0; r < axis; r++) rows *= first[r];
    const total = shape.reduce((p, d, r) => (r >= axis ? p * d : p), 1);
    const o = heap(backend, out);
    let at = 0;
    for (const t of parts) {
      const width = t.shape.reduce((p, d, r) => (r >= axis ? p * d : p), 1);
      copyRows(heap(backend, t), 0, width, o, at, total, rows, width);
      at += width;
    }
    return out;
  };
}

/** SplitV of a float32 tensor as row copies over the heap (the stock kernel slices each piece through readSync). */
function makeSplitV(_addon: NativeAddon, stock: Kernel): Kernel {
  return (args) => {
    const { x } = args.inputs;
    if (x.dtype !== 'float32') return stock(args);
    const axis = tf.util.parseAxisParam(args.attrs.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x, args.attrs.numOrSizeSplits as number | number[], axis);
    const backend = args.backend;
    const rows = tf.util.sizeFromShape(x.shape.slice(0, axis));
    const inner = tf.util.sizeFromShape(x.shape.slice(axis + 1));
    const width = x.shape[axis] * inner;
    const xs = tf.util.sizeFromShape(x.shape) > 0 ? heap(backend, x) : null;
    let at = 0;
    return sizes.map((size) => {
      const shape = x.shape.slice();
      shape[axis] = size;
      const out = backend.makeOutput(shape, 'float32');
      if (xs && size > 0) copyRows(xs, at * inner, width, heap(backend, out), 0, size * inner, rows, size * inner);
      at += size;
      return out;
    }) as unknown as tf.TensorInfo;
  };
}

/**
 * Identity without a copy: the output shares the input's buffer (as the cpu backend does). tfjs
 * clones every tensor it saves for the backward pass, so the stock copy cost a full pass over every
 * saved weight matrix and activation. Buffers are never written in place except by the native Adam
 * update, which first gives a shared variable a buffer of its own.
 */
function makeIdentity(_addon: NativeAddon, stock: Kernel): Kernel {
  return (args) => (args.inputs.x.dtype === 'string' ? stock(args) : share(args));
}

/** Cast to the tensor's own dtype (the relu gradient casts float32 to float32): shared, as Identity. */
function makeCast(_addon: NativeAddon, stock: Kernel): Kernel {
  return (args) => (args.inputs.x.dtype === args.attrs.dtype && args.inputs.x.dtype !== 'string' ? share(args) : stock(args));
}

function share(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs;
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * Convolutions (NHWC float32): Conv2D and FusedConv2D, Conv2DBackpropInput (also conv2dTranspose's
 * forward) and Conv2DBackpropFilter (which the stock wasm backend lacks, so that no conv net trains
 * on stock wasm) as im2col/col2im and matrix products (native/src/conv.c: the addon's own AVX-512
 * sgemm where the CPU has AVX-512, else OpenBLAS; addon.convConfig chooses); the depthwise ones
 * (DepthwiseConv2dNative, FusedDepthwiseConv2D, and their two gradients, also missing from stock
 * wasm: depthwiseConv2d and separableConv2d layers) as direct loops. The geometry is tfjs's own
 * computeConv2DInfo, so every stride, 'same', 'valid', explicit and numeric padding,
 * dimRoundingMode and dilation is as on the other backends. The stock wasm conv kernels could not
 * stay in any case: XNNPACK packs a filter once per tensor and keeps it, so they do not see the
 * native Adam's in-place updates of a conv layer's weights; and stock Conv2D gives wrong values for
 * numeric padding (e.g. pad 1 with a 1x3 filter).
 */
interface ConvKind {
  /** The forward kernel's name, for errors. */
  name: string;
  depthwise: boolean;
}

const CONV: ConvKind = { name: 'Conv2D', depthwise: false };
const DEPTHWISE: ConvKind = { name: 'DepthwiseConv2dNative', depthwise: true };

/** The addon's geometry [n, h, w, c, oh, ow, f, fh, fw, sh, sw, dh, dw, padTop, padLeft] (f: the channel multiplier when depthwise) and tfjs's conv info. */
function convGeometry(kernel: string, depthwise: boolean, xShape: number[], filterShape: number[], attrs: Record<string, unknown>) {
  const format = String(attrs.dataFormat ?? 'NHWC');
  if (format !== 'NHWC' && format !== 'channelsLast') throw new Error(`wasm-blas ${kernel}: only dataFormat 'NHWC' (channels last) is supported, not '${format}'`);
  if (xShape.length !== 4 || filterShape.length !== 4 || xShape[3] !== filterShape[2]) {
    throw new Error(`wasm-blas ${kernel}: input [${xShape}] and filter [${filterShape}] do not fit (rank 4, the input's channels = the filter's third dimension)`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    (attrs.dilations as number | [number, number] | undefined) ?? 1,
    attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    depthwise,
    'channelsLast',
  );
  const p = info.padInfo;
  if (p.top < 0 || p.left < 0 || p.bottom < 0 || p.right < 0) throw new Error(`wasm-blas ${kernel}: negative padding (${p.top}, ${p.right}, ${p.bottom}, ${p.left}) is not supported`);
  const geom = [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    filterShape[3],
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    p.top,
    p.left,
  ];
  return { info, geom };
}

function assertFloat32(kernel: string, inputs: KernelArgs['inputs']): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (t && t.dtype !== 'float32') throw new Error(`wasm-blas ${kernel}: ${name} is ${t.dtype}, float32 expected`);
  }
}

/** Conv2D or DepthwiseConv2dNative. */
function makeConvForward(kind: ConvKind): (addon: NativeAddon) => Kernel {
  return (addon) =>
    ({ inputs, backend, attrs }) => {
      const { x, filter } = inputs;
      assertFloat32(kind.name, { x, filter });
      const { info, geom } = convGeometry(kind.name, kind.depthwise, x.shape, filter.shape, attrs);
      const out = backend.makeOutput(info.outShape, 'float32');
      if (tf.util.sizeFromShape(info.outShape) === 0) return out;
      const run = kind.depthwise ? addon.depthwiseConv2d : addon.conv2d;
      run(heap(backend, x), heap(backend, filter), heap(backend, out), geom, null, ACTIVATIONS.linear, 0);
      return out;
    };
}

/** FusedConv2D or FusedDepthwiseConv2D: the convolution with its bias and activation in one native pass (elu / prelu after it, as _FusedMatMul). */
function makeConvFused(kind: ConvKind): (addon: NativeAddon, stock: Kernel) => Kernel {
  const name = `Fused${kind.name}`;
  return (addon, stock) => (args) => {
    const { inputs, backend, attrs } = args;
    const { x, filter, bias, preluActivationWeights } = inputs;
    const activation = String(attrs.activation ?? 'linear');
    const after = AFTER[activation];
    const act = after ? ACTIVATIONS.linear : ACTIVATIONS[activation];
    const outChannels = kind.depthwise ? filter.shape[2] * filter.shape[3] : filter.shape[3];
    // Other activations and biases of other shapes: the stock kernel (which takes the same ones or refuses them).
    if (act === undefined || (bias && (bias.shape.length !== 1 || (bias.shape[0] !== outChannels && bias.shape[0] !== 1)))) return stock(args);
    assertFloat32(name, { x, filter, bias });
    const { info, geom } = convGeometry(name, kind.depthwise, x.shape, filter.shape, attrs);
    const out = backend.makeOutput(info.outShape, 'float32');
    if (tf.util.sizeFromShape(info.outShape) === 0) return out;
    const alpha = Number(attrs.leakyreluAlpha ?? 0.2);
    const run = kind.depthwise ? addon.depthwiseConv2d : addon.conv2d;
    run(heap(backend, x), heap(backend, filter), heap(backend, out), geom, bias ? heap(backend, bias) : null, act, alpha);
    return after ? activateAfter(after, out, backend, preluActivationWeights) : out;
  };
}

/**
 * The gradients: Conv2DBackpropInput (dx of shape attrs.inputShape from dy and the filter;
 * conv2dTranspose(x, filter) is this with dy = x) and Conv2DBackpropFilter (the filter gradient of
 * shape attrs.filterShape from x and dy), or their depthwise twins.
 */
function makeConvBackprop(kind: ConvKind, of: 'Input' | 'Filter'): (addon: NativeAddon) => Kernel {
  const name = kind.depthwise ? `DepthwiseConv2dNativeBackprop${of}` : `Conv2DBackprop${of}`;
  return (addon) =>
    ({ inputs, backend, attrs }) => {
      const { x, dy, filter } = inputs;
      const input = of === 'Input';
      assertFloat32(name, input ? { dy, filter } : { x, dy });
      const xShape = input ? (attrs.inputShape as number[]) : x.shape;
      const filterShape = input ? filter.shape : (attrs.filterShape as number[]);
      const { info, geom } = convGeometry(name, kind.depthwise, xShape, filterShape, attrs);
      if (!tf.util.arraysEqual(dy.shape, info.outShape)) {
        throw new Error(`wasm-blas ${name}: dy has shape [${dy.shape}], the convolution of [${xShape}] by [${filterShape}] gives [${info.outShape}]`);
      }
      const out = backend.makeOutput(input ? xShape : filterShape, 'float32');
      if (tf.util.sizeFromShape(out.shape) === 0) return out;
      if (input) {
        const run = kind.depthwise ? addon.depthwiseConv2dBackpropInput : addon.conv2dBackpropInput;
        run(heap(backend, dy), heap(backend, filter), heap(backend, out), geom);
      } else {
        const run = kind.depthwise ? addon.depthwiseConv2dBackpropFilter : addon.conv2dBackpropFilter;
        run(heap(backend, x), heap(backend, dy), heap(backend, out), geom);
      }
      return out;
    };
}

/**
 * AaeDense: y = drop(act(x w + b)) in one native kernel and one native call (the product, then
 * bias, activation and dropout in place with the counter-based mask of the seed, the one
 * dropoutMask in lib/nn/layers.ts makes). Inside
 * tf.variableGrads tfjs runs fused.matMul unfused (matMul, add, relu: three kernels and passes) and
 * dropout as mask + multiply; this is one kernel, and its gradient (below) two to four.
 */
function makeDense(addon: NativeAddon): Kernel {
  return (args) => {
    const { x, w, b } = args.inputs;
    const { activation, keep, seed } = args.attrs as unknown as DenseAttrs;
    const backend = args.backend;
    const [m, k] = x.shape;
    const n = w.shape[1];
    const out = backend.makeOutput([m, n], 'float32');
    if (m * n === 0) return out;
    const y = heap(backend, out);
    const operands = [heap(backend, x), heap(backend, w), y, 1, m, n, k, false, false, 0, 0, heap(backend, b), ACTIVATIONS[activation], 0] as const;
    const memo = denseMemos.get(w.dataId);
    if (memo?.x !== x.dataId || memo.b !== b.dataId || memo.activation !== activation) {
      // a new input: remembered (the kept values' buffer with it, for reuse), nothing kept yet
      if (memo) Object.assign(memo, { x: x.dataId, b: b.dataId, activation, versions: null });
      else denseMemos.set(w.dataId, { x: x.dataId, b: b.dataId, activation, versions: null, values: null });
      // dropout by the same call: each product thread applies it to its own columns, still in cache
      addon.fusedMatMul(...operands, seed, keep);
      return out;
    }
    const versions = [versionOf(w.dataId), versionOf(b.dataId), versionOf(x.dataId)];
    if (memo.values && memo.versions?.every((v, i) => v === versions[i])) {
      y.set(memo.values);
    } else {
      // the layer's input again: its values before dropout are kept for a third call
      addon.fusedMatMul(...operands);
      if (memo.values?.length !== y.length) memo.values = new Float32Array(y.length);
      memo.values.set(y);
      memo.versions = versions;
    }
    if (keep < 1) addon.dropoutApply(y, seed, keep);
    return out;
  };
}

/**
 * A dense layer called again on the same input with unchanged weights computes the same act(x w + b)
 * and differs only in its dropout mask: the AAE's encoder in the phases between two updates of its
 * weights (the discriminators' and the generator's). Per weight matrix, AaeDense remembers the input
 * and bias of its last call; on a second call with them it keeps its values before dropout, and on
 * a third (none of them updated since) it copies them instead of multiplying. The same
 * values either way: bias and activation, then dropout, each value by itself in the same order.
 * Tensors are immutable except under native Adam, which updates variables in place: it counts the
 * updates of each tensor's data (versionOf), and a count that moved makes the memo stale.
 */
interface DenseMemo {
  x: object;
  b: object;
  activation: string;
  /** in-place updates of w, b and x when the values were kept (null: none kept for this input) */
  versions: number[] | null;
  values: Float32Array | null;
}

const denseMemos = new WeakMap<object, DenseMemo>();
const inPlaceUpdates = new WeakMap<object, number>();

function versionOf(dataId: object): number {
  return inPlaceUpdates.get(dataId) ?? 0;
}

/**
 * AaeDenseGrad: dy through AaeDense's activation and dropout, from its output y (see activationGrad
 * in the addon), and that gradient's column sums (the bias gradient, summed in row order as the
 * native Sum does), as two outputs of one kernel.
 */
function makeDenseGrad(addon: NativeAddon): Kernel {
  return (args) => {
    const { dy, y } = args.inputs;
    const { activation, keep } = args.attrs as unknown as DenseAttrs;
    const backend = args.backend;
    const [rows, n] = dy.shape;
    const out = backend.makeOutput(dy.shape, 'float32');
    const db = backend.makeOutput([n], 'float32');
    if (rows * n === 0) {
      heap(backend, db).fill(0);
      return [out, db] as unknown as tf.TensorInfo;
    }
    // Dropout's multiplier of a kept value, 1 / keep in float32.
    const scale = keep < 1 ? Math.fround(1 / Math.fround(keep)) : 1;
    addon.denseGrad(heap(backend, dy), heap(backend, y), heap(backend, out), heap(backend, db), rows, n, ACTIVATIONS[activation], scale);
    return [out, db] as unknown as tf.TensorInfo;
  };
}

/**
 * Loss kernels: each loss and its gradient is one kernel instead of the 8 to 30 small tfjs kernels
 * of the op-by-op form (on a batch of 100 these small kernels cost more in bookkeeping than in
 * arithmetic). Over the wasm heap, in double precision: the sigmoid cross-entropy in JavaScript (on
 * the discriminator's one logit per row), the mean squared error in the addon (mseSum, mseGrad).
 *   AaeSigmoidXent {logits}, attrs {target: 0 | 1}: mean of max(x, 0) - x z + log(1 + exp(-|x|));
 *     gradient (sigmoid(x) - z) / N.
 *   AaeMse {pred, target}: mean of (pred - target)^2; gradient 2 (pred - target) / N (and its negative).
 */

function scalarOut(backend: BackendWasm, value: number): tf.TensorInfo {
  const out = backend.makeOutput([], 'float32');
  heap(backend, out)[0] = value;
  return out;
}

function makeSigmoidXent(): Kernel {
  return ({ inputs, backend, attrs }) => {
    const x = heap(backend, inputs.logits);
    const z = Number(attrs.target);
    let sum = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      sum += (v > 0 ? v : 0) - v * z + Math.log1p(Math.exp(-Math.abs(v)));
    }
    return scalarOut(backend, x.length ? sum / x.length : NaN);
  };
}

function makeSigmoidXentGrad(): Kernel {
  return ({ inputs, backend, attrs }) => {
    const out = backend.makeOutput(inputs.logits.shape, 'float32');
    const x = heap(backend, inputs.logits);
    const o = heap(backend, out);
    const c = heap(backend, inputs.dy)[0] / x.length;
    const z = Number(attrs.target);
    for (let i = 0; i < x.length; i++) o[i] = c * (1 / (1 + Math.exp(-x[i])) - z);
    return out;
  };
}

function makeMse(addon: NativeAddon): Kernel {
  return ({ inputs, backend }) => {
    const p = heap(backend, inputs.pred);
    return scalarOut(backend, p.length ? addon.mseSum(p, heap(backend, inputs.target)) / p.length : NaN);
  };
}

function makeMseGrad(addon: NativeAddon): Kernel {
  return ({ inputs, backend, attrs }) => {
    const out = backend.makeOutput(inputs.pred.shape, 'float32');
    const p = heap(backend, inputs.pred);
    const c = ((attrs.negate ? -2 : 2) * heap(backend, inputs.dy)[0]) / p.length;
    addon.mseGrad(p, heap(backend, inputs.target), heap(backend, out), c);
    return out;
  };
}

/** The project's own kernels (not replacing stock ones), installed and removed with the native kernels. */
const OWN_KERNELS: [string, (addon: NativeAddon) => Kernel][] = [
  [DENSE, makeDense],
  [DENSE_GRAD, makeDenseGrad],
  [SIGMOID_XENT, makeSigmoidXent],
  [SIGMOID_XENT_GRAD, makeSigmoidXentGrad],
  [MSE, makeMse],
  [MSE_GRAD, makeMseGrad],
];

const KERNELS: [string, (addon: NativeAddon, stock: Kernel) => Kernel][] = [
  ['BatchMatMul', makeBatchMatMul],
  ['_FusedMatMul', makeFusedMatMul],
  ['Sum', makeSum],
  ['Identity', makeIdentity],
  ['Concat', makeConcat],
  ['SplitV', makeSplitV],
  ['Cast', makeCast],
  ['Conv2D', makeConvForward(CONV)],
  ['FusedConv2D', makeConvFused(CONV)],
  ['Conv2DBackpropInput', makeConvBackprop(CONV, 'Input')],
  ['DepthwiseConv2dNative', makeConvForward(DEPTHWISE)],
  ['FusedDepthwiseConv2D', makeConvFused(DEPTHWISE)],
];

/** tfjs kernels the stock wasm backend lacks, added with the native kernels (a stock one, in a later tfjs, is replaced and restored). */
const ADDED_KERNELS: [string, (addon: NativeAddon) => Kernel][] = [
  ['Conv2DBackpropFilter', makeConvBackprop(CONV, 'Filter')],
  ['DepthwiseConv2dNativeBackpropInput', makeConvBackprop(DEPTHWISE, 'Input')],
  ['DepthwiseConv2dNativeBackpropFilter', makeConvBackprop(DEPTHWISE, 'Filter')],
];

/** Stock wasm kernel configs replaced by installNativeKernels, to restore them. */
let stockConfigs: tf.KernelConfig[] | null = null;

/**
 * Replaces the wasm backend's kernels by the native ones. The wasm backend must be initialised
 * first (its stock kernels' set-up has run; they remain the fallback). Idempotent.
 */
/** The parts of tfjs's engine that saving tensors for a backward pass involves. */
interface EngineInternals {
  backendName: string;
  backend: BackendWasm;
  state: { gradientDepth: number };
  saveTensorsForBackwardMode(tensors: tf.Tensor[]): tf.Tensor[];
  makeTensorFromTensorInfo(info: tf.TensorInfo, backend: BackendWasm): tf.Tensor;
  keep<T extends tf.Tensor>(t: T): T;
}

let stockSave: EngineInternals['saveTensorsForBackwardMode'] | null = null;

/**
 * The tensors a kernel saves for its gradient, shared rather than cloned. tfjs's engine clones each
 * through the Identity kernel (which here already shares the buffer) and adds a tape node for the
 * clone: two passes through the engine's bookkeeping per saved tensor, ~67 tensors per supervised
 * step at 8-15 us each. A saved tensor here is a new tensor on the same buffer (the shared Identity's
 * result, without the kernel and the tape node). In a gradient of a gradient the clone's tape node
 * carries the outer gradient to the original, so there (and for strings, and on other backends)
 * tfjs's own clone stays.
 */
function shareSavedTensors(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  const stock = engine.saveTensorsForBackwardMode;
  stockSave = stock;
  engine.saveTensorsForBackwardMode = function (this: EngineInternals, tensors: tf.Tensor[]): tf.Tensor[] {
    if (this.backendName !== 'wasm' || this.state.gradientDepth > 1 || tensors.some((t) => t.dtype === 'string')) return stock.call(this, tensors);
    return tensors.map((t) => {
      this.backend.incRef(t.dataId);
      return this.keep(this.makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }, this.backend));
    });
  };
}

function restoreSavedTensors(): void {
  if (!stockSave) return;
  (tf.engine() as unknown as EngineInternals).saveTensorsForBackwardMode = stockSave;
  stockSave = null;
}

export function installNativeKernels(addon: NativeAddon): void {
  if (stockConfigs) return;
  registerNativeGradients();
  const saved: tf.KernelConfig[] = [];
  for (const [name, make] of KERNELS) {
    const stock = tf.getKernel(name, 'wasm');
    if (!stock) throw new Error(`the wasm backend has no ${name} kernel to replace`);
    saved.push(stock);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: make(addon, stock.kernelFunc as unknown as Kernel) as unknown as tf.KernelFunc });
  }
  for (const [name, make] of ADDED_KERNELS) {
    const stock = tf.getKernel(name, 'wasm');
    if (stock) {
      saved.push(stock);
      tf.unregisterKernel(name, 'wasm');
    }
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: make(addon) as unknown as tf.KernelFunc });
  }
  for (const [name, make] of OWN_KERNELS) {
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: make(addon) as unknown as tf.KernelFunc });
  }
  shareSavedTensors();
  stockConfigs = saved;
}

/** Puts the stock wasm kernels back (for side-by-side comparisons in one process). */
export function uninstallNativeKernels(): void {
  if (!stockConfigs) return;
  restoreSavedTensors();
  for (const [name] of [...OWN_KERNELS, ...ADDED_KERNELS]) tf.unregisterKernel(name, 'wasm');
  for (const config of stockConfigs) {
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  stockConfigs = null;
}

export function nativeKernelsInstalled(): boolean {
  return stockConfigs !== null;
}

/**
 * Adam update of one variable in place on the wasm heap (see NativeAdam in ./index). A variable
 * (or moment) whose buffer is shared with another tensor (a variable made from a tensor still
 * alive) first gets a buffer of its own, so the in-place write touches nothing else.
 */
export function nativeAdamUpdate(addon: NativeAddon, x: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, lrT: number, beta1: number, beta2: number, epsilon: number): void {
  const backend = tf.backend() as BackendWasm;
  for (const t of [x, m, v]) {
    if (t.dtype !== 'float32') throw new Error(`native Adam: ${t.dtype} tensor, float32 expected`);
    if (backend.refCount(t.dataId) > 1) {
      if (!(t instanceof tf.Variable)) throw new Error('native Adam: the updated tensors must be variables');
      tf.tidy(() => t.assign(tf.add(t, 0)));
    }
  }
  if (g.dtype !== 'float32') throw new Error(`native Adam: ${g.dtype} gradient, float32 expected`);
  if (x.size === 0) return;
  addon.adam(heap(backend, x), heap(backend, g), heap(backend, m), heap(backend, v), lrT, beta1, beta2, epsilon);
  inPlaceUpdates.set(x.dataId, versionOf(x.dataId) + 1);
}
