/**
 * The floor of a training step: its matrix products at the machine's measured GEMM rate plus its
 * optimizer updates at the machine's measured memory bandwidth. The bench prints each case's step
 * time against it, so the gap is visible in every run.
 */

/** What tf.profile records of one kernel call (the fields used here). */
export interface KernelRecord {
  name: string;
  inputShapes: (number[] | null | undefined)[];
  outputShapes: (number[] | null | undefined)[];
}

/** The kernels that are matrix products (AaeDense: the native dense layer, x·w + b and its activation in one kernel). */
export const MATMUL_KERNELS = ['BatchMatMul', '_FusedMatMul', 'MatMul', 'AaeDense'];

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/**
 * Floating-point operations of one matrix-product call, 2·b·M·N·K: b·M·N from the output, K from the
 * first input's size per output row (whatever the transposes). 0 for any other kernel.
 */
export function kernelFlops(k: KernelRecord): number {
  if (!MATMUL_KERNELS.includes(k.name)) return 0;
  const a = k.inputShapes[0];
  const out = k.outputShapes[0];
  if (!a || !out || out.length < 2) return 0;
  const rows = size(out.slice(0, -1)); // b·M
  const kDim = size(a) / rows;
  return 2 * size(out) * kDim;
}

/** Matrix-product FLOPs of a list of kernel calls. */
export function matmulFlops(kernels: KernelRecord[]): number {
  return kernels.reduce((s, k) => s + kernelFlops(k), 0);
}

/**
 * Bytes an Adam update moves per parameter: reads the weight, its gradient and both moments, writes
 * the weight and both moments (float32).
 */
export const ADAM_BYTES_PER_PARAMETER = 7 * 4;

/** The floor in ms: flops at gflops GFLOP/s plus bytes at gbPerS GB/s. */
export function floorMs(flops: number, gflops: number, bytes: number, gbPerS: number): number {
  return flops / (gflops * 1e6) + bytes / (gbPerS * 1e6);
}

let copyBuffers: [Float32Array, Float32Array] | null = null;

/**
 * GB/s of copying a 256 MB Float32Array into another (median of 5; each copy reads and writes every
 * byte, so 512 MB move): a gauge of the machine's memory bandwidth right now.
 */
export function memoryBandwidth(): number {
  const n = 64 * 2 ** 20;
  // allocated once and kept: a bench gauges several times, and 512 MB of garbage each time would be
  // collected during the next case's timed steps
  copyBuffers ??= [new Float32Array(n).fill(1), new Float32Array(n)];
  const [src, dst] = copyBuffers;
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    dst.set(src);
    if (i > 0) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return (2 * 4 * n) / (times[2] * 1e6);
}
