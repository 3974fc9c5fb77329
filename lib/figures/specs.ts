/**
 * One typed function per figure of the original project: plain data in, a Vega-Lite v5 spec out
 * (no model, no rendering here; lib/figures/data.ts computes the data from a model, lib/display
 * renders specs to SVG / PNG / notebook outputs).
 *
 * Digit images are composed into one PNG per grid (see images.ts) and drawn by a single image
 * mark stretched over x/x2/y/y2, so even a 400-digit manifold stays a small, sharp spec.
 */
import type { TopLevelSpec } from 'vega-lite';
import { MNIST_SHAPE, pixelsOf, type ImageShape } from '../data/dataset';
import { DIGITS, classColor, isDigitNames } from './palette';
import { digitGrid, type DigitGrid } from './images';

/** A Vega-Lite v5 top-level spec (the JSON a front-end or vega-embed renders). */
export type FigureSpec = TopLevelSpec;

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** Pair of latent dimensions shown by 2-D figures. */
export type DimPair = [number, number];

export const BASE_CONFIG = {
  background: 'white',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  // left-aligned titles, wrapped to the figure's width by title(): a long title never widens the canvas
  title: { anchor: 'start' as const, fontSize: 13, subtitleFontSize: 11 },
};

/** Approximate advance of one character in px: title (13 px bold DejaVu Sans) and subtitle (11 px). */
const TITLE_CHAR_PX = 8;
const SUBTITLE_CHAR_PX = 6.4;

/**
 * Decimals that keep each value within half a CSS pixel of its place on an axis `px` pixels long
 * showing the values' range: inline data carries no more digits than the chart can show.
 */
export function decimalsFor(values: ArrayLike<number>, px: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const extent = hi > lo ? hi - lo : Math.max(Math.abs(hi), 1);
  return Math.max(0, Math.min(6, Math.ceil(-Math.log10(extent / Math.max(1, px)))));
}

/** `v` rounded to `d` decimals. */
export function roundTo(v: number, d: number): number {
  const f = 10 ** d;
  return Math.round(v * f) / f;
}

/**
 * Inline data as columns: ONE row holding an array per field, and the `flatten` transform that
 * turns it back into one datum per index. A 10,000-point scatter is then three short arrays
 * instead of 10,000 objects that repeat their field names.
 */
export function columnarData(columns: Record<string, readonly (number | string)[]>): { data: { values: object[] }; transform: { flatten: string[] }[] } {
  const fields = Object.keys(columns);
  const n = fields.length ? columns[fields[0]].length : 0;
  for (const f of fields) if (columns[f].length !== n) throw new RangeError(`columnarData: column "${f}" has ${columns[f].length} values, "${fields[0]}" ${n}`);
  return { data: { values: [{ ...columns }] }, transform: [{ flatten: fields }] };
}

/** The rows of a spec's inline data, whether written as rows or as columns (columnarData). */
export function dataRows(data: { values?: unknown } | undefined, transform?: readonly object[]): Record<string, unknown>[] {
  const values = (data?.values ?? []) as Record<string, unknown>[];
  const flat = (transform ?? []).find((t): t is { flatten: string[] } => 'flatten' in t);
  if (!flat) return values;
  return values.flatMap((v) => {
    const n = (v[flat.flatten[0]] as unknown[]).length;
    return Array.from({ length: n }, (_, i) => ({ ...v, ...Object.fromEntries(flat.flatten.map((f) => [f, (v[f] as unknown[])[i]])) }));
  });
}

function checkDims(dims: DimPair, nZ: number, what: string): void {
  const [a, b] = dims;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d >= nZ) throw new RangeError(`${what}: dimension ${d} is not in 0..${nZ - 1} (n_z = ${nZ})`);
  }
  if (a === b) throw new RangeError(`${what}: the two dimensions must differ, got ${a} and ${b}`);
}

function dimsNote(dims: DimPair, nZ: number): string | undefined {
  return nZ > 2 ? `dimensions ${dims[0]} and ${dims[1]} of n_z = ${nZ}` : undefined;
}

function joinNotes(...notes: (string | undefined)[]): string | undefined {
  return notes.filter(Boolean).join('; ') || undefined;
}

/** Greedy word wrap of `text` into lines of at most `maxChars` characters (a longer word stays whole). */
export function wrapText(text: string, maxChars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > maxChars) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}

/**
 * A title (and subtitle), left-aligned and wrapped to `widthPx` (the figure's width; default 420),
 * so that a long title adds lines instead of widening the canvas.
 */
export function title(text: string, subtitle?: string, widthPx = 420) {
  const one = (lines: string[]) => (lines.length === 1 ? lines[0] : lines);
  const t = one(wrapText(text, Math.floor(widthPx / TITLE_CHAR_PX)));
  return subtitle ? { text: t, subtitle: one(wrapText(subtitle, Math.floor(widthPx / SUBTITLE_CHAR_PX))) } : { text: t };
}

// ------------------------------------------------------------------ latent scatter

export interface LatentCodes {
  /** n * nZ values, row-major (the encoder's output). */
  codes: ArrayLike<number>;
  nZ: number;
  /** The true digit (class) of each code. */
  labels: ArrayLike<number>;
  /** The data set's class names for the legend (default MNIST's digits; empty: no labels, one colour). */
  classNames?: readonly string[];
}

export interface LatentScatterOptions {
  /** Which two dimensions to plot (default [0, 1]; stated in the subtitle when n_z > 2). */
  dims?: DimPair;
  title?: string;
  /** Second title line (the dimensions shown are appended when n_z > 2). */
  subtitle?: string;
  width?: number;
  height?: number;
  /** Point area in px² (default 9). */
  pointSize?: number;
  opacity?: number;
}

/** One scatter view of 2-D points coloured by a 0-9 label, its data as rounded columns. */
function scatterView(
  xs: number[],
  ys: number[],
  labels: ArrayLike<number>,
  o: {
    field: string;
    colorTitle: string;
    width: number;
    height: number;
    pointSize: number;
    opacity: number;
    xTitle: string;
    yTitle: string;
    title?: string;
    /** Legend under the plots (side-by-side panels: keeps the figure within GitHub's column). */
    legendBelow?: boolean;
    /** The legend's names of the labels (default the digits). */
    classNames?: readonly string[];
  },
) {
  const dx = decimalsFor(xs, o.width);
  const dy = decimalsFor(ys, o.height);
  const { data, transform } = columnarData({ x: xs.map((v) => roundTo(v, dx)), y: ys.map((v) => roundTo(v, dy)), [o.field]: Array.from(labels) });
  // labels past 9 (a prior with more modes) widen the colour scale
  let count = 0;
  for (let i = 0; i < labels.length; i++) count = Math.max(count, labels[i] + 1);
  // ticks on round numbers: whole numbers (every second one over a wide range, halves over a
  // short one), never on -3.5, -2.5, ...
  const axis = (vals: number[]) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of vals) if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    if (!(hi > lo)) return {};
    const span = hi - lo;
    const step = span > 12 ? 5 : span > 7 ? 2 : span > 2.5 ? 1 : span > 1 ? 0.5 : span > 0.4 ? 0.1 : undefined;
    if (step === undefined) return {};
    const values: number[] = [];
    for (let t = Math.floor(lo / step) * step; t <= Math.ceil(hi / step) * step + 1e-9; t += step) values.push(roundTo(t, 6));
    return { values };
  };
  return {
    ...(o.title ? { title: o.title } : {}),
    width: o.width,
    height: o.height,
    data,
    transform,
    mark: { type: 'circle' as const, size: o.pointSize, opacity: o.opacity, aria: false },
    encoding: {
      x: { field: 'x', type: 'quantitative' as const, title: o.xTitle, scale: { zero: false, nice: true }, axis: axis(xs) },
      y: { field: 'y', type: 'quantitative' as const, title: o.yTitle, scale: { zero: false, nice: true }, axis: axis(ys) },
      color: legendColor(o.field, o.colorTitle, o.classNames, o.legendBelow, count),
    },
  };
}

/** A label colour channel for labels 0 to count - 1, its legend on the right or (legendBelow) under the plot, in rows of ten past ten labels. */
function legendColor(field: string, colorTitle: string, classNames: readonly string[] | undefined, legendBelow: boolean | undefined, count: number) {
  const c = classColor(field, colorTitle, classNames, count);
  if (!legendBelow || !('legend' in c)) return c;
  return { ...c, legend: { ...c.legend, orient: 'bottom' as const, direction: 'horizontal' as const, ...(count > 10 ? { columns: 10 } : {}) } };
}

/** The legend title of a label colour: 'digit' for MNIST's digits, else 'class'. */
function labelTitle(classNames: readonly string[] | undefined): string {
  return isDigitNames(classNames) ? 'digit' : 'class';
}

function codeColumns(data: LatentCodes, dims: DimPair): { xs: number[]; ys: number[] } {
  const { nZ } = data;
  const n = data.labels.length;
  const xs = new Array<number>(n);
  const ys = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    xs[i] = data.codes[i * nZ + dims[0]];
    ys[i] = data.codes[i * nZ + dims[1]];
  }
  return { xs, ys };
}

function checkCodes(data: LatentCodes, what: string): void {
  const n = data.labels.length;
  if (data.codes.length !== n * data.nZ) throw new RangeError(`${what}: ${n} labels need ${n * data.nZ} code values, got ${data.codes.length}`);
}

/** Scatter of latent codes coloured by digit, with a 10-entry legend. */
export function latentScatterSpec(data: LatentCodes, opts: LatentScatterOptions = {}): FigureSpec {
  const { nZ } = data;
  const n = data.labels.length;
  checkCodes(data, 'latentScatterSpec');
  const dims = opts.dims ?? [0, 1];
  checkDims(dims, nZ, 'latentScatterSpec');
  const width = opts.width ?? 420;
  const { xs, ys } = codeColumns(data, dims);
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: title(opts.title ?? `Latent codes of ${n.toLocaleString('en-US')} test images`, joinNotes(opts.subtitle, dimsNote(dims, nZ)), width + 100),
    ...scatterView(xs, ys, data.labels, {
      field: 'digit',
      colorTitle: labelTitle(data.classNames),
      classNames: data.classNames,
      width,
      height: opts.height ?? 420,
      pointSize: opts.pointSize ?? 9,
      opacity: opts.opacity ?? 0.6,
      xTitle: `z[${dims[0]}]`,
      yTitle: `z[${dims[1]}]`,
    }),
    config: BASE_CONFIG,
  } as FigureSpec;
}

export interface LatentScattersOptions {
  title?: string;
  subtitle?: string;
  /** Size of each panel in px (default 220: three panels fit GitHub's 830 px column). */
  size?: number;
  pointSize?: number;
  opacity?: number;
  dims?: DimPair;
}

/** Several coding spaces side by side (e.g. one model per prior), one shared digit legend. */
export function latentScattersSpec(panels: readonly { title: string; codes: LatentCodes }[], opts: LatentScattersOptions = {}): FigureSpec {
  if (panels.length === 0) throw new RangeError('latentScattersSpec: no panels');
  const size = opts.size ?? 220;
  const dims = opts.dims ?? [0, 1];
  const notes = new Set<string>();
  const views = panels.map((p) => {
    checkCodes(p.codes, `latentScattersSpec: panel "${p.title}"`);
    checkDims(dims, p.codes.nZ, `latentScattersSpec: panel "${p.title}"`);
    const note = dimsNote(dims, p.codes.nZ);
    if (note) notes.add(note);
    const { xs, ys } = codeColumns(p.codes, dims);
    return scatterView(xs, ys, p.codes.labels, {
      field: 'digit',
      colorTitle: labelTitle(p.codes.classNames),
      classNames: p.codes.classNames,
      width: size,
      height: size,
      pointSize: opts.pointSize ?? 4,
      opacity: opts.opacity ?? 0.6,
      xTitle: `z[${dims[0]}]`,
      yTitle: `z[${dims[1]}]`,
      title: p.title,
      legendBelow: true,
    });
  });
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: title(opts.title ?? 'Coding spaces', joinNotes(opts.subtitle, [...notes].join('; ') || undefined), panels.length * (size + 50) + 60),
    hconcat: views,
    spacing: 12,
    resolve: { scale: { x: 'independent', y: 'independent', color: 'shared' } },
    config: BASE_CONFIG,
  } as FigureSpec;
}

// ------------------------------------------------------------------ target priors

export interface PriorPanel {
  /** Panel heading, e.g. "gaussian (labelled)". */
  title: string;
  /** n * nZ samples, row-major. */
  z: ArrayLike<number>;
  nZ: number;
  /** Mode / label of each sample (0-9, or 0 to modes - 1). */
  labels: ArrayLike<number>;
  dims?: DimPair;
  /** The legend's name of each mode (default the digits 0-9). */
  modeNames?: readonly string[];
}

export interface PriorSamplesOptions {
  title?: string;
  /** Size of each panel in px (default 220). */
  size?: number;
  pointSize?: number;
  /** Legend title (default "label / mode"). */
  colorTitle?: string;
}

/** Samples of one or more target priors side by side, coloured by their label / mode. */
export function priorSamplesSpec(panels: readonly PriorPanel[], opts: PriorSamplesOptions = {}): FigureSpec {
  if (panels.length === 0) throw new RangeError('priorSamplesSpec: no panels');
  const notes: string[] = [];
  const size = opts.size ?? 220;
  const views = panels.map((p) => {
    const n = p.labels.length;
    if (p.z.length !== n * p.nZ) throw new RangeError(`priorSamplesSpec: panel "${p.title}": ${n} labels need ${n * p.nZ} values, got ${p.z.length}`);
    const dims = p.dims ?? [0, 1];
    checkDims(dims, p.nZ, `priorSamplesSpec: panel "${p.title}"`);
    const note = dimsNote(dims, p.nZ);
    if (note) notes.push(note);
    const { xs, ys } = codeColumns({ codes: p.z, nZ: p.nZ, labels: p.labels }, dims);
    return scatterView(xs, ys, p.labels, {
      field: 'label',
      colorTitle: opts.colorTitle ?? 'label / mode',
      classNames: p.modeNames,
      width: size,
      height: size,
      pointSize: opts.pointSize ?? 6,
      opacity: 0.6,
      xTitle: `z[${dims[0]}]`,
      yTitle: `z[${dims[1]}]`,
      title: p.title,
      legendBelow: true,
    });
  });
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: title(opts.title ?? (panels.length > 1 ? 'Target priors' : `Target prior: ${panels[0].title}`), [...new Set(notes)].join('; ') || undefined, panels.length * (size + 50) + 60),
    hconcat: views,
    spacing: 12,
    resolve: { scale: { x: 'independent', y: 'independent', color: 'shared' } },
    config: BASE_CONFIG,
  } as FigureSpec;
}

// ------------------------------------------------------------------ image panels

export interface ImagePanel {
  grid: DigitGrid;
  x: [number, number];
  y: [number, number];
  width: number;
  height: number;
  title?: string;
  xTitle?: string | null;
  yTitle?: string | null;
  /** Tick values (null = no axis). */
  xTicks?: number[] | null;
  yTicks?: number[] | null;
  yReverse?: boolean;
}

/** One image mark covering [x0, x1] x [y0, y1]; the image's top row is at y1 (or y0 when yReverse). */
export function imagePanel(p: ImagePanel) {
  const axis = (ticks: number[] | null | undefined, t: string | null | undefined) => (ticks === null ? null : { title: t ?? null, grid: false, ...(ticks ? { values: ticks } : {}) });
  return {
    ...(p.title ? { title: p.title } : {}),
    width: p.width,
    height: p.height,
    data: { values: [{ url: p.grid.url, x0: p.x[0], x1: p.x[1], y0: p.y[0], y1: p.y[1] }] },
    mark: { type: 'image' as const, aspect: false, smooth: false, aria: false },
    encoding: {
      url: { field: 'url', type: 'nominal' as const },
      x: { field: 'x0', type: 'quantitative' as const, scale: { domain: p.x, nice: false, zero: false }, axis: axis(p.xTicks, p.xTitle) },
      x2: { field: 'x1' },
      y: {
        field: p.yReverse ? 'y0' : 'y1',
        type: 'quantitative' as const,
        scale: { domain: p.y, nice: false, zero: false, reverse: !!p.yReverse },
        axis: axis(p.yTicks, p.yTitle),
      },
      y2: { field: p.yReverse ? 'y1' : 'y0' },
    },
  };
}

function checkImages(images: ArrayLike<number>, count: number, what: string, shape: ImageShape = MNIST_SHAPE): void {
  const P = pixelsOf(shape);
  if (images.length !== count * P) throw new RangeError(`${what}: ${count} images need ${count * P} values, got ${images.length}`);
}

/** Display cells of an image: `width` px wide (default the image's width), as tall as its aspect gives. */
function cellOf(shape: ImageShape, width?: number): { w: number; h: number } {
  const w = width ?? shape.width;
  return { w, h: (w * shape.height) / shape.width };
}

/** Axis labels of a label axis: the class names, when they are not the digits. */
function namesExpr(classNames: readonly string[] | undefined): string | undefined {
  return isDigitNames(classNames) ? undefined : `${JSON.stringify(classNames)}[datum.value]`;
}

// ------------------------------------------------------------------ restoration

export interface RestorationData {
  /** count images (784 values each, or of `shape`) and their reconstructions, same order. */
  originals: ArrayLike<number>;
  reconstructions: ArrayLike<number>;
  count: number;
  /** The images' shape (default MNIST's 28x28 grey). */
  shape?: ImageShape;
}

export interface RestorationOptions {
  /** Digits per canvas row (default 10: a 10x10 canvas for 100 images, like the original). */
  cols?: number;
  /** Display pixels per image's width (default the image width, 28 for MNIST: one image pixel per screen pixel). */
  cellSize?: number;
  title?: string;
}

/** Two canvases side by side: the original images and their reconstructions (same positions). */
export function restorationSpec(data: RestorationData, opts: RestorationOptions = {}): FigureSpec {
  const cols = opts.cols ?? 10;
  if (!(Number.isInteger(data.count) && data.count > 0)) throw new RangeError(`restorationSpec: count must be a positive integer, got ${data.count}`);
  if (data.count % cols !== 0) throw new RangeError(`restorationSpec: ${data.count} images do not fill rows of ${cols}`);
  const shape = data.shape ?? MNIST_SHAPE;
  checkImages(data.originals, data.count, 'restorationSpec originals', shape);
  checkImages(data.reconstructions, data.count, 'restorationSpec reconstructions', shape);
  const rows = data.count / cols;
  const cell = cellOf(shape, opts.cellSize);
  const panel = (images: ArrayLike<number>, t: string) =>
    imagePanel({ grid: digitGrid(images, rows, cols, { pad: 1, shape }), x: [0, cols], y: [0, rows], width: cols * cell.w, height: rows * cell.h, title: t, xTicks: null, yTicks: null });
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: title(opts.title ?? `Restoration of ${data.count} test images`, undefined, 2 * cols * cell.w + 16),
    hconcat: [panel(data.originals, 'original'), panel(data.reconstructions, 'reconstruction')],
    spacing: 16,
    config: { ...BASE_CONFIG, view: { stroke: null } },
  };
}

// ------------------------------------------------------------------ manifold (PMLR)

export interface ManifoldGrid {
  /** gridSize² decoded images: image r * gridSize + c decodes z[dims[0]] = range[0] + c * step, z[dims[1]] = range[1] - r * step. */
  images: ArrayLike<number>;
  gridSize: number;
  /** The grid's first and last latent value on both axes. */
  range: [number, number];
  dims?: DimPair;
  nZ?: number;
  /** The images' shape (default MNIST's 28x28 grey). */
  shape?: ImageShape;
}

/** Latent coordinates of a manifold grid: the values along each axis (ascending). */
export function gridValues(gridSize: number, range: [number, number]): number[] {
  if (!(Number.isInteger(gridSize) && gridSize >= 1)) throw new RangeError(`grid size must be a positive integer, got ${gridSize}`);
  if (!(range[1] > range[0])) throw new RangeError(`grid range must be [lo, hi] with lo < hi, got [${range}]`);
  if (gridSize === 1) return [(range[0] + range[1]) / 2];
  const step = (range[1] - range[0]) / (gridSize - 1);
  return Array.from({ length: gridSize }, (_, i) => range[0] + i * step);
}

/** Extent of the image: each digit is centred on its grid point. */
function gridExtent(gridSize: number, range: [number, number]): [number, number] {
  const half = gridSize > 1 ? (range[1] - range[0]) / (gridSize - 1) / 2 : (range[1] - range[0]) / 2;
  return [range[0] - half, range[1] + half];
}

function manifoldPanel(m: ManifoldGrid, size: number, panelTitle?: string) {
  checkImages(m.images, m.gridSize * m.gridSize, 'manifold', m.shape);
  const dims = m.dims ?? [0, 1];
  const ext = gridExtent(m.gridSize, m.range);
  return imagePanel({
    grid: digitGrid(m.images, m.gridSize, m.gridSize, { shape: m.shape }),
    x: ext,
    y: ext,
    width: size,
    height: size,
    title: panelTitle,
    xTitle: `z[${dims[0]}]`,
    yTitle: `z[${dims[1]}]`,
  });
}

function manifoldNote(m: Omit<ManifoldGrid, 'images'>): string {
  const dims = m.dims ?? [0, 1];
  const rest = m.nZ !== undefined && m.nZ > 2 ? `; the other ${m.nZ - 2} dimensions at 0` : '';
  return `${m.gridSize} x ${m.gridSize} grid over [${m.range[0]}, ${m.range[1]}]² of z[${dims[0]}], z[${dims[1]}]${rest}`;
}

export interface ManifoldOptions {
  title?: string;
  /** Second title line, before the grid description. */
  subtitle?: string;
  /** Plot size in px (default gridSize * the image width, 28 for MNIST, clamped to 280-560). */
  size?: number;
}

/** The default plot size of a manifold: one image pixel per screen pixel, within 280-560. */
function manifoldSize(gridSize: number, shape: ImageShape = MNIST_SHAPE): number {
  return Math.min(560, Math.max(280, gridSize * shape.width));
}

/** Decoded digits over a regular grid of two latent dimensions, on the latent axes. */
export function manifoldSpec(data: ManifoldGrid, opts: ManifoldOptions = {}): FigureSpec {
  const size = opts.size ?? manifoldSize(data.gridSize, data.shape);
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: title(opts.title ?? 'Learnt manifold', joinNotes(opts.subtitle, manifoldNote(data)), size + 50),
    ...manifoldPanel(data, size),
    config: BASE_CONFIG,
  };
}

export interface ConditionalManifolds {
  /** One gridSize² image set per label 0-9, or per class (same layout as ManifoldGrid.images). */
  imagesByLabel: readonly ArrayLike<number>[];
  gridSize: number;
  range: [number, number];
  dims?: DimPair;
  nZ?: number;
  /** The images' shape (default MNIST's 28x28 grey). */
  shape?: ImageShape;
  /** The name of each label (default the digits 0-9; their number is the number of image sets). */
  classNames?: readonly string[];
}

export interface ConditionalManifoldOptions {
  /**
   * 'slider' (default) or 'dropdown': one manifold with a label selector inside the chart (a
   * Vega-Lite param bound to an input, filtering the image marks; needs an interactive front-end,
   * static renderings show `initialLabel`); 'grid': all ten manifolds as small multiples.
   */
  control?: 'slider' | 'dropdown' | 'grid';
  initialLabel?: number;
  /** Panels per row in the grid layout (default 5). */
  columns?: number;
  /** Grid layout only: the labels shown (default all ten), e.g. [0, 1, 2] as in the original. */
  labels?: readonly number[];
  /** Size in px of the manifold (selector) or of each panel (grid; default 200). */
  size?: number;
  title?: string;
}

/** The name of the label param of conditionalManifoldSpec's selector. */
export const LABEL_PARAM = 'label';

/** Semi-supervised manifolds: the style grid decoded with each label (one manifold per label). */
export function conditionalManifoldSpec(data: ConditionalManifolds, opts: ConditionalManifoldOptions = {}): FigureSpec {
  const K = data.classNames?.length ?? DIGITS.length;
  if (data.imagesByLabel.length !== K) throw new RangeError(`conditionalManifoldSpec: need ${K} image sets (one per label), got ${data.imagesByLabel.length}`);
  const labelsAll = Array.from({ length: K }, (_, k) => k);
  const names = namesExpr(data.classNames);
  const control = opts.control ?? 'slider';
  const ext = gridExtent(data.gridSize, data.range);
  const dims = data.dims ?? [0, 1];
  const shown = opts.labels ?? labelsAll;
  for (const k of shown) if (!labelsAll.includes(k)) throw new RangeError(`conditionalManifoldSpec: labels must be 0-${K - 1}, got ${k}`);
  if (control !== 'grid' && opts.labels) throw new RangeError("conditionalManifoldSpec: labels applies to control 'grid' only");
  const values = data.imagesByLabel.flatMap((images, label) => {
    checkImages(images, data.gridSize * data.gridSize, `conditionalManifoldSpec label ${label}`, data.shape);
    if (!shown.includes(label)) return [];
    return [{ label, url: digitGrid(images, data.gridSize, data.gridSize, { shape: data.shape }).url, x0: ext[0], x1: ext[1], y0: ext[0], y1: ext[1] }];
  });
  const note = manifoldNote(data);
  const columns = opts.columns ?? 5;
  const figureWidth = control === 'grid' ? Math.min(columns, shown.length) * ((opts.size ?? 200) + 40) : (opts.size ?? manifoldSize(data.gridSize, data.shape)) + 50;
  const head = title(opts.title ?? 'Learnt manifold per label (style grid decoded with each label)', note, figureWidth);
  const scale = { domain: ext, nice: false, zero: false };
  const encoding = {
    url: { field: 'url', type: 'nominal' as const },
    x: { field: 'x0', type: 'quantitative' as const, scale, axis: { title: `style z[${dims[0]}]`, grid: false } },
    x2: { field: 'x1' },
    y: { field: 'y1', type: 'quantitative' as const, scale, axis: { title: `style z[${dims[1]}]`, grid: false } },
    y2: { field: 'y0' },
  };
  const mark = { type: 'image' as const, aspect: false, smooth: false, aria: false };
  if (control === 'grid') {
    const size = opts.size ?? 200;
    return {
      $schema: VEGA_LITE_SCHEMA,
      title: head,
      data: { values },
      facet: { field: 'label', type: 'ordinal', title: null, header: { labelExpr: names ?? "'label ' + datum.value", labelFontSize: 13 } },
      columns,
      spec: { width: size, height: size, mark, encoding },
      // each panel its own x axis: a wrapped facet otherwise draws axes under the empty cells of its last row
      resolve: { axis: { x: 'independent' } },
      config: BASE_CONFIG,
    };
  }
  const initial = opts.initialLabel ?? 0;
  if (!labelsAll.includes(initial)) throw new RangeError(`conditionalManifoldSpec: initialLabel must be 0-${K - 1}, got ${initial}`);
  const bind =
    control === 'slider'
      ? { input: 'range' as const, min: 0, max: K - 1, step: 1, name: 'label' }
      : { input: 'select' as const, options: labelsAll, ...(names ? { labels: [...data.classNames!] } : {}), name: 'label' };
  const size = opts.size ?? manifoldSize(data.gridSize, data.shape);
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: head,
    width: size,
    height: size,
    params: [{ name: LABEL_PARAM, value: initial, bind }],
    data: { values },
    transform: [{ filter: `datum.label == ${LABEL_PARAM}` }],
    mark,
    encoding,
    config: BASE_CONFIG,
  };
}

// ------------------------------------------------------------------ conditional generation (PARR)

export interface ConditionalGeneration {
  /** styles * K images (K = 10 labels, or the classes): image s * K + k decodes style vector s with label k. */
  images: ArrayLike<number>;
  styles: number;
  /** The images' shape (default MNIST's 28x28 grey). */
  shape?: ImageShape;
  /** The name of each label (default the digits 0-9). */
  classNames?: readonly string[];
}

export interface ConditionalGenerationOptions {
  /** Display pixels per digit (default 32). */
  cellSize?: number;
  title?: string;
}

/** Style per row, label per column: each row one style vector decoded with every label. */
export function conditionalGenerationSpec(data: ConditionalGeneration, opts: ConditionalGenerationOptions = {}): FigureSpec {
  if (!(Number.isInteger(data.styles) && data.styles > 0)) throw new RangeError(`conditionalGenerationSpec: styles must be a positive integer, got ${data.styles}`);
  const K = data.classNames?.length ?? DIGITS.length;
  const shape = data.shape ?? MNIST_SHAPE;
  checkImages(data.images, data.styles * K, 'conditionalGenerationSpec', shape);
  const cell = opts.cellSize ?? 32;
  const cellH = (cell * shape.height) / shape.width;
  const S = data.styles;
  const panel = imagePanel({
    grid: digitGrid(data.images, S, K, { pad: 1, shape }),
    x: [-0.5, K - 0.5],
    y: [-0.5, S - 0.5],
    yReverse: true,
    width: K * cell,
    height: S * cellH,
    xTitle: 'label',
    yTitle: 'style',
    xTicks: Array.from({ length: K }, (_, k) => k),
    yTicks: Array.from({ length: S }, (_, s) => s),
  });
  const names = namesExpr(data.classNames);
  if (names) Object.assign(panel.encoding.x.axis!, { labelExpr: names, labelAngle: -45 });
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: title(opts.title ?? 'Conditional generation', `${S} style vectors (rows), each decoded with every label (columns)`, K * cell + 40),
    ...panel,
    config: { ...BASE_CONFIG, axis: { ...BASE_CONFIG.axis, ticks: false, domain: false } },
  };
}

// ------------------------------------------------------------------ training curves

/** An epoch axis: whole epochs only (every one up to 12, else a tick every few). */
function epochAxis(lastEpoch: number) {
  const last = Math.max(2, lastEpoch);
  const step = last <= 12 ? 1 : last <= 30 ? 2 : last <= 60 ? 5 : 10;
  const values = Array.from({ length: last }, (_, i) => i + 1).filter((e) => e === 1 || e % step === 0);
  return { values, format: 'd' };
}

/** Per-epoch rows as the trainer's history: `epoch` (0-based) plus metric columns. */
export type HistoryRow = { epoch: number } & Record<string, number>;

/** Columns of a history row that are bookkeeping, not metrics. */
export const NON_METRIC_COLUMNS: readonly string[] = ['epoch', 'lr', 'seconds'];

export interface TrainingCurvesOptions {
  /** Which columns to plot (default: every column but epoch, lr and seconds). */
  metrics?: string[];
  /**
   * 'log' (default): one panel, log y (losses of very different sizes stay readable);
   * 'linear': one panel, linear y; 'independent': one row per metric, each with its own y scale.
   */
  yScale?: 'log' | 'linear' | 'independent';
  title?: string;
  width?: number;
  height?: number;
}

/** Every metric per epoch in one chart (long format: epoch, metric, value), with a legend. */
export function trainingCurvesSpec(history: readonly HistoryRow[], opts: TrainingCurvesOptions = {}): FigureSpec {
  const metrics = opts.metrics ?? [...new Set(history.flatMap((h) => Object.keys(h)))].filter((k) => !NON_METRIC_COLUMNS.includes(k));
  const values: { epoch: number; metric: string; split: string; value: number }[] = [];
  for (const h of history) {
    for (const m of metrics) {
      const v = h[m];
      if (typeof v === 'number' && Number.isFinite(v)) {
        values.push({ epoch: h.epoch + 1, metric: m, split: m.startsWith('test_') ? 'test' : m.startsWith('val_') ? 'validation' : 'train', value: v });
      }
    }
  }
  const yScale = opts.yScale ?? 'log';
  const dashes: [string, number[]][] = [
    ['train', [1, 0]],
    ['validation', [2, 2]],
    ['test', [5, 3]],
  ];
  const splits = dashes.filter(([name]) => values.some((v) => v.split === name));
  const lastEpoch = Math.max(1, ...values.map((v) => v.epoch));
  const encoding = {
    x: { field: 'epoch', type: 'quantitative' as const, title: 'epoch', scale: { domain: [1, Math.max(2, lastEpoch)], nice: false }, axis: epochAxis(lastEpoch) },
    y: {
      field: 'value',
      type: 'quantitative' as const,
      title: yScale === 'independent' ? null : yScale === 'log' ? 'value (log scale)' : 'value',
      scale: yScale === 'log' ? { type: 'log' as const } : { zero: false },
    },
    color: { field: 'metric', type: 'nominal' as const, title: 'metric', sort: metrics, scale: { scheme: 'dark2' }, legend: { orient: 'right' as const, labelLimit: 260 } },
    strokeDash: {
      field: 'split',
      type: 'nominal' as const,
      title: 'split',
      scale: { domain: splits.map((x) => x[0]), range: splits.map((x) => x[1]) },
      legend: { symbolType: 'stroke', symbolSize: 300, symbolStrokeColor: '#444', symbolStrokeWidth: 2 },
    },
    tooltip: [
      { field: 'metric', type: 'nominal' as const },
      { field: 'epoch', type: 'quantitative' as const },
      { field: 'value', type: 'quantitative' as const, format: '.4g' },
    ],
  };
  // lines (dashed by split) and points as two layers: a line mark with a point overlay would draw
  // the split legend's symbols without a stroke (Vega-Lite sets it transparent), i.e. invisible
  const { strokeDash, ...shared } = encoding;
  const layer = [{ mark: { type: 'line' as const, strokeWidth: 2 }, encoding: { strokeDash } }, { mark: { type: 'point' as const, filled: true, size: 30, opacity: 1 } }];
  const head = title(opts.title ?? 'Training curves', `${history.length} epoch${history.length === 1 ? '' : 's'}`, (opts.width ?? 480) + 150);
  if (yScale === 'independent') {
    return {
      $schema: VEGA_LITE_SCHEMA,
      title: head,
      data: { values },
      facet: { row: { field: 'metric', type: 'nominal', title: null, sort: metrics, header: { labelAngle: 0, labelAlign: 'left' } } },
      spec: { width: opts.width ?? 420, height: opts.height ?? 90, encoding: shared, layer },
      resolve: { scale: { y: 'independent' } },
      config: BASE_CONFIG,
    } as FigureSpec;
  }
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: head,
    width: opts.width ?? 480,
    height: opts.height ?? 300,
    data: { values },
    encoding: shared,
    layer,
    config: BASE_CONFIG,
  } as FigureSpec;
}

// ------------------------------------------------------------------ classification error

export interface ErrorBar {
  /** Column: the number of labeled images, as shown ('100', '1,000', 'all'). */
  labels: string;
  /** Bar within the column: which run or reference ('this run (10 epochs)', 'AAE paper'). */
  source: string;
  /** Test error, a fraction. */
  error: number;
}

export interface ClassificationErrorOptions {
  title?: string;
  width?: number;
  height?: number;
}

/** Test classification error as bars, one column per number of labels, one bar per source. */
export function classificationErrorSpec(bars: readonly ErrorBar[], opts: ClassificationErrorOptions = {}): FigureSpec {
  for (const b of bars) {
    if (!(b.error >= 0 && b.error <= 1)) throw new RangeError(`classificationErrorSpec: error must be a fraction in [0, 1], got ${b.error} (${b.labels}, ${b.source})`);
  }
  const sources = [...new Set(bars.map((b) => b.source))];
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: title(opts.title ?? 'Semi-supervised MNIST: test classification error', undefined, new Set(bars.map((b) => b.labels)).size * ((opts.width ?? 110) + 10) + 200),
    data: { values: bars.map((b) => ({ ...b })) },
    width: opts.width ?? 110,
    height: opts.height ?? 240,
    mark: { type: 'bar', tooltip: true },
    encoding: {
      // columns and bars in the order given (Vega-Lite's own facet order is alphabetical: '1,000' before '100')
      column: { field: 'labels', type: 'nominal', sort: [...new Set(bars.map((b) => b.labels))], title: 'labeled training images' },
      x: { field: 'source', type: 'nominal', sort: sources, title: null, axis: { labels: false } },
      y: { field: 'error', type: 'quantitative', title: 'test error', axis: { format: '.1%' } },
      color: { field: 'source', type: 'nominal', sort: sources, title: null, legend: { labelLimit: 400 } },
    },
    config: BASE_CONFIG,
  } as FigureSpec;
}

export interface ErrorCurve {
  /** Legend entry of the run (e.g. '1,000 labels, seed 0'). */
  name: string;
  /**
   * Test, validation and labeled training images' error (fractions) after each epoch; epoch counts
   * from 0 as in the trainer's history.
   */
  history: readonly { epoch: number; test_error?: number; val_error?: number; labeled_error?: number }[];
}

export interface ErrorCurvesOptions {
  title?: string;
  subtitle?: string;
  width?: number;
  height?: number;
  /** Horizontal reference lines (e.g. the AAE paper's errors), each with its own label. */
  references?: readonly { name: string; error: number }[];
  /** Also draw each run's validation error (dashed) where its history has one: default true. */
  validation?: boolean;
  /** Also draw each run's error on its labeled training images (dotted) where its history has one (labeled_error): default true. */
  training?: boolean;
}

/** The splits of an error-curves figure, in legend order, and the dash of each. */
const SPLITS = ['test', 'validation', 'training'] as const;
const SPLIT_DASHES: Record<(typeof SPLITS)[number], number[]> = { test: [1, 0], validation: [5, 3], training: [1, 3] };

/** 'Test', 'Validation and test', 'Training, validation and test': the splits shown, for a title. */
function splitsText(splits: readonly (typeof SPLITS)[number][]): string {
  const names = (['training', 'validation', 'test'] as const).filter((x) => splits.includes(x));
  const text = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return text[0].toUpperCase() + text.slice(1);
}

/** Tick values for a log axis over [lo, hi]: 1, 2, 3, 5 times each power of ten (and 1.5, 7 when few fit). */
export function logTicks(lo: number, hi: number): number[] {
  const pick = (mantissas: number[]) => {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of mantissas) {
        const v = Number((m * 10 ** e).toPrecision(6));
        if (v >= lo && v <= hi) out.push(v);
      }
    }
    return out;
  };
  const ticks = pick([1, 2, 3, 5]);
  return ticks.length >= 4 ? ticks : pick([1, 1.5, 2, 3, 5, 7]);
}

/**
 * Test error per epoch of several runs, their validation error dashed and their labeled training
 * images' error dotted where the histories have them (log y: 10% and 1% read equally well), with
 * optional reference lines. A zero error has no place on a log axis and is left out.
 */
export function errorCurvesSpec(curves: readonly ErrorCurve[], opts: ErrorCurvesOptions = {}): FigureSpec {
  const points = (split: (typeof SPLITS)[number], key: 'test_error' | 'val_error' | 'labeled_error') =>
    curves.flatMap((c) => c.history.filter((h) => typeof h[key] === 'number' && (h[key] as number) > 0).map((h) => ({ run: c.name, split, epoch: h.epoch + 1, error: h[key] as number })));
  const tests = points('test', 'test_error');
  if (tests.length === 0) throw new RangeError('errorCurvesSpec: no run has a positive test_error in its history');
  const values = [...tests, ...(opts.validation === false ? [] : points('validation', 'val_error')), ...(opts.training === false ? [] : points('training', 'labeled_error'))];
  const splits = SPLITS.filter((name) => values.some((v) => v.split === name));
  const both = splits.length > 1;
  const lastEpoch = Math.max(2, ...values.map((v) => v.epoch));
  const refs = (opts.references ?? []).filter((r) => r.error > 0);
  // the domain leaves room above and below every line and reference (none sits on the border),
  // the labels fall on 1-2-3-5 steps of each decade inside it (1%, 2%, ..., 10%, ...)
  const shown = [...values.map((v) => v.error), ...refs.map((r) => r.error)];
  const domain = [Math.min(...shown) / 1.3, Math.max(...shown) * 1.3];
  const ticks = logTicks(domain[0], domain[1]);
  const y = {
    field: 'error',
    type: 'quantitative' as const,
    title: both ? 'error (log scale)' : 'test error (log scale)',
    scale: { type: 'log' as const, domain, nice: false },
    axis: { format: '.2~%', values: ticks, grid: true },
  };
  const lines = {
    data: { values },
    mark: { type: 'line' as const, strokeWidth: 2, point: { filled: true, size: 16 } },
    encoding: {
      x: { field: 'epoch', type: 'quantitative' as const, title: 'epoch', scale: { domain: [1, lastEpoch], nice: false }, axis: epochAxis(lastEpoch) },
      y,
      color: { field: 'run', type: 'nominal' as const, title: 'run', sort: curves.map((c) => c.name), scale: { scheme: 'tableau10' }, legend: { labelLimit: 400 } },
      ...(both
        ? {
            strokeDash: {
              field: 'split',
              type: 'nominal' as const,
              title: 'split',
              sort: splits,
              scale: { domain: splits, range: splits.map((name) => SPLIT_DASHES[name]) },
              // the dashes drawn in grey (the line's own legend entry would take no stroke colour here)
              legend: { symbolType: 'stroke', symbolSize: 300, symbolStrokeWidth: 2, encode: { symbols: { update: { stroke: { value: '#444' } } } } },
            },
          }
        : {}),
      tooltip: [
        { field: 'run', type: 'nominal' as const },
        { field: 'split', type: 'nominal' as const },
        { field: 'epoch', type: 'quantitative' as const },
        { field: 'error', type: 'quantitative' as const, format: '.2%' },
      ],
    },
  };
  const layers: object[] = [lines];
  if (refs.length > 0) {
    const refData = { values: refs.map((r) => ({ ...r, epoch: lastEpoch })) };
    layers.push(
      { data: refData, mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { y } },
      {
        data: refData,
        mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -2, color: '#555', fontSize: 10 },
        encoding: { x: { field: 'epoch', type: 'quantitative' }, y, text: { field: 'name' } },
      },
    );
  }
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: title(opts.title ?? `${splitsText(splits)} error per epoch`, opts.subtitle, (opts.width ?? 480) + 200),
    width: opts.width ?? 480,
    height: opts.height ?? 300,
    layer: layers,
    config: BASE_CONFIG,
  } as FigureSpec;
}
