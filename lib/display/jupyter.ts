/**
 * Output in a tslab (TypeScript Jupyter) notebook: figures, live training progress, tables and
 * Markdown inline. Rendering only: training and loading the notebooks' models is lib/notebook-runs.ts.
 *
 * Each figure is ONE display_data carrying three representations: the Vega-Lite spec as a JSON
 * object (`application/vnd.vegalite.v5+json`, rendered interactively by JupyterLab, Notebook 7,
 * VS Code), a 2x PNG (`image/png`, what nbconvert, GitHub and Notebook 6 show) and `text/plain`.
 * tslab's public `display.raw` sends only one mime type (and JSON as a string), so the bundle goes
 * through tslab's internal `lastWriteDisplayData`, which exists only inside a running kernel.
 */
import { randomBytes } from 'node:crypto';
import type { FigureSpec, HistoryRow } from '../figures/specs';
import { trainingCurvesSpec, NON_METRIC_COLUMNS } from '../figures/specs';
import { renderPng, type PngOptions } from './render';
import type { TrainCallbacks, Trainer } from '../train/trainer';
import { queueSocketSends, type ZmqModule } from './zmq-sends';

export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';

/** A Jupyter display_data message's content. */
export interface DisplayData {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}

/** Sends display data to the front-end; `update` replaces the output with the same display_id. */
export type DisplayWriter = (content: DisplayData, update: boolean) => void;

export class NotInNotebookError extends Error {
  constructor() {
    super(
      'not running inside a tslab Jupyter kernel: notebook displays need tslab (npm install tslab) and a notebook cell; ' +
        'outside a notebook, render figures to files with writeFigure / renderPng / renderSvg',
    );
    this.name = 'NotInNotebookError';
  }
}

export interface FigureBundleOptions extends PngOptions {
  /** Spec rendered for the PNG fallback instead of `spec` (e.g. a static layout of an interactive chart). */
  fallback?: FigureSpec;
  /** The text/plain representation (default: the title and the PNG size). */
  text?: string;
  /** display_id, for a display updated in place. */
  displayId?: string;
}

function specTitle(spec: FigureSpec): string {
  const t = (spec as { title?: unknown }).title;
  if (typeof t === 'string') return t;
  if (t && typeof t === 'object' && 'text' in t) {
    const text = (t as { text: unknown }).text;
    return Array.isArray(text) ? text.join(' ') : String(text);
  }
  return 'figure';
}

/**
 * PNG pixels per CSS pixel of a figure's fallback: 2 (sharp text on high-DPI screens), but 1 for
 * figures of digit images (image marks), which are drawn at about their own resolution: a 2x PNG
 * of them holds no more detail and is four times the size.
 */
export function defaultScale(spec: FigureSpec): number {
  return /"type":"image"/.test(JSON.stringify(spec)) ? 1 : 2;
}

/**
 * The display bundle of a figure: Vega-Lite JSON object + base64 PNG (metadata width/height in
 * CSS pixels, so a 2x PNG shows sharp at its natural size) + text/plain. Works outside Jupyter.
 */
export async function figureBundle(spec: FigureSpec, opts: FigureBundleOptions = {}): Promise<DisplayData> {
  const shown = opts.fallback ?? spec;
  const scale = opts.scale ?? defaultScale(shown);
  const png = await renderPng(shown, { ...opts, scale });
  return {
    data: {
      [VEGALITE_MIME]: JSON.parse(JSON.stringify(spec)) as object,
      'image/png': png.png.toString('base64'),
      'text/plain': opts.text ?? `<Vega-Lite figure: ${specTitle(spec)} (${png.cssWidth}x${png.cssHeight})>`,
    },
    metadata: { 'image/png': { width: png.cssWidth, height: png.cssHeight } },
    transient: opts.displayId ? { display_id: opts.displayId } : {},
  };
}

let sendsQueued = false;

/** Inside a kernel: queue the kernel sockets' sends so that a burst of output cannot kill it (zmq-sends.ts). */
function queueKernelSends(): void {
  if (sendsQueued) return;
  sendsQueued = true;
  const loads: (() => unknown)[] = [
    // the kernel's zeromq (tslab's), then one found from here
    () => require.main?.require('zeromq'),
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- zeromq comes with tslab: only a kernel has it
    () => require('zeromq'),
  ];
  for (const load of loads) {
    try {
      const zmq = load() as ZmqModule | undefined;
      if (zmq?.Socket?.prototype) {
        queueSocketSends(zmq);
        return;
      }
    } catch {
      // not loadable from here: try the next place
    }
  }
}

// Inside a kernel (tslab's kernel module is loaded): the sends are queued from the library's import on,
// so that output before any display cannot kill the kernel either.
if (Object.keys(require.cache).some((k) => /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(k))) queueKernelSends();

/** tslab's writer of the cell being run, or null outside a kernel. Looked up at each call: it changes per cell. */
function kernelWriter(): DisplayWriter | null {
  const candidates: (() => unknown)[] = [
    // The kernel's own copy of tslab first (the one whose writer is set), then ours.
    () => require.main?.require('tslab/dist/jupyter'),
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- tslab is optional: only a kernel has it
    () => require('tslab/dist/jupyter'),
  ];
  for (const load of candidates) {
    try {
      const mod = load() as { lastWriteDisplayData?: unknown } | undefined;
      if (mod && typeof mod.lastWriteDisplayData === 'function') {
        queueKernelSends();
        return mod.lastWriteDisplayData as DisplayWriter;
      }
    } catch {
      // tslab not installed or not resolvable from here: try the next place
    }
  }
  return null;
}

/** True inside a running tslab kernel (where displays can be sent). */
export function inNotebook(): boolean {
  return kernelWriter() !== null;
}

/** Sends one display_data (or update_display_data when `update`); throws NotInNotebookError outside a kernel. */
export function sendDisplayData(content: DisplayData, update = false): void {
  const write = kernelWriter();
  if (!write) throw new NotInNotebookError();
  write(content, update);
}

/** Shows a figure inline in the notebook (Vega-Lite + PNG fallback + text). */
export async function showFigure(spec: FigureSpec, opts: FigureBundleOptions = {}): Promise<void> {
  const write = kernelWriter();
  if (!write) throw new NotInNotebookError();
  write(await figureBundle(spec, opts), false);
}

/** One output area updated in place (a display_id): the first `show` creates it, later ones replace it. */
export class LiveDisplay {
  readonly id: string;
  private shown = false;

  constructor(
    private readonly writer?: DisplayWriter,
    id = randomBytes(8).toString('hex'),
  ) {
    this.id = id;
  }

  /** Replaces the display's content with `data` (mime type → payload). */
  show(data: Record<string, unknown>, metadata: Record<string, unknown> = {}): void {
    const write = this.writer ?? kernelWriter();
    if (!write) throw new NotInNotebookError();
    write({ data, metadata, transient: { display_id: this.id } }, this.shown);
    this.shown = true;
  }

  showHtml(html: string, text: string): void {
    this.show({ 'text/html': html, 'text/plain': text });
  }

  async showFigure(spec: FigureSpec, opts: FigureBundleOptions = {}): Promise<void> {
    const b = await figureBundle(spec, opts);
    this.show(b.data, b.metadata);
  }
}

/** Key of the display_data metadata entry that names a notebook figure (read by the notebook tests). */
export const FIGURE_METADATA_KEY = 'aae_lab';

/**
 * Shows a figure inline (Vega-Lite + PNG fallback + text, see showFigure) with its name in the
 * output's metadata (`metadata.aae_lab.figure`), so tests and tools can find each expected figure.
 */
export async function showNamedFigure(name: string, spec: FigureSpec, opts: FigureBundleOptions = {}): Promise<void> {
  const bundle = await figureBundle(spec, opts);
  // staticFallback: the PNG shows a static layout of an interactive spec (opts.fallback), not the spec itself
  bundle.metadata = { ...bundle.metadata, [FIGURE_METADATA_KEY]: { figure: name, ...(opts.fallback ? { staticFallback: true } : {}) } };
  sendDisplayData(bundle);
  await settleDisplays();
}

/**
 * Lets the kernel finish sending the last display before the cell ends. tslab sends on its iopub
 * socket without awaiting; a large display still in flight when the cell ends collides with the
 * kernel's "idle" status message (zeromq: "Socket is busy writing", EBUSY) and kills the kernel.
 */
export function settleDisplays(ms = 200): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ------------------------------------------------------------------ live training progress

export interface NotebookProgressOptions {
  /** Also show the training curves chart, updated after every epoch (default true). */
  curves?: boolean;
  /** Least time between two progress updates within an epoch, ms (default 1000). */
  intervalMs?: number;
  /** Epochs the run will reach (default: the model config's epochs). */
  totalEpochs?: number;
  /** Where the displays go (default: the notebook kernel; for tests or other front-ends). */
  writer?: DisplayWriter;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A metric value for tables: 4 significant digits, errors as percentages. */
export function formatMetric(name: string, v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  if (name.endsWith('_error')) return `${(100 * v).toFixed(2)}%`;
  return Math.abs(v) >= 1e-3 || v === 0 ? v.toPrecision(4) : v.toExponential(2);
}

interface ProgressState {
  epoch: number;
  totalEpochs: number;
  batch: number;
  batches: number;
  losses: Record<string, number>;
  elapsed: number;
  history: readonly HistoryRow[];
  /** Shown after the position, e.g. "done" or "interrupted". */
  status?: string;
}

/** HTML and text of the progress display: a bar, the last batch's losses and a per-epoch table. */
export function progressView(s: ProgressState): { html: string; text: string } {
  const cols = [...new Set(s.history.flatMap((h) => Object.keys(h)))].filter((k) => !NON_METRIC_COLUMNS.includes(k));
  const done = s.epoch * s.batches + s.batch;
  const all = Math.max(1, s.totalEpochs * s.batches);
  const head = `epoch ${s.epoch + 1}/${s.totalEpochs}, batch ${s.batch}/${s.batches}, ${s.elapsed.toFixed(0)} s${s.status ? ` (${s.status})` : ''}`;
  const losses = Object.entries(s.losses)
    .map(([k, v]) => `${k} ${formatMetric(k, v)}`)
    .join(', ');
  const rows = s.history.map((h) => [String(h.epoch + 1), ...cols.map((c) => formatMetric(c, h[c])), (h.seconds ?? 0).toFixed(1)]);
  // metric names with spaces for underscores: the header wraps instead of running off the output
  const header = ['epoch', ...cols.map((c) => c.replace(/_/g, ' ')), 'seconds'];
  const cell = (t: string, tag: string) => `<${tag} style="text-align:right;padding:2px 8px">${esc(t)}</${tag}>`;
  const html =
    `<div style="font-family:sans-serif;font-size:13px">` +
    `<div><progress value="${done}" max="${all}" style="width:320px"></progress> ${esc(head)}</div>` +
    (losses ? `<div>last batch: ${esc(losses)}</div>` : '') +
    (rows.length
      ? `<table style="border-collapse:collapse;margin-top:4px"><tr>${header.map((h) => cell(h, 'th')).join('')}</tr>` +
        rows.map((r) => `<tr>${r.map((c) => cell(c, 'td')).join('')}</tr>`).join('') +
        `</table>`
      : '') +
    `</div>`;
  const plain = rows.length
    ? plainTable(
        rows.map((r) => Object.fromEntries(header.map((h, j) => [h, r[j]]))),
        { columns: header },
      )
    : '';
  const text = [head, losses && `last batch: ${losses}`, plain].filter(Boolean).join('\n');
  return { html, text };
}

/**
 * Trainer callbacks that show training live in the notebook: one output with a progress bar, the
 * latest losses and a table of per-epoch metrics (updated in place at most every intervalMs and at
 * each epoch's end), and optionally a second output with the training curves, redrawn per epoch.
 */
export function notebookProgress(opts: NotebookProgressOptions = {}): TrainCallbacks {
  const table = new LiveDisplay(opts.writer);
  const chart = opts.curves === false ? null : new LiveDisplay(opts.writer);
  const interval = opts.intervalMs ?? 1000;
  let started = 0;
  let lastShown = 0;
  let total = 0;
  const state = (trainer: Trainer, epoch: number, batch: number, losses: Record<string, number>, status?: string): ProgressState => ({
    epoch,
    status,
    totalEpochs: total,
    batch,
    batches: trainer.batchesPerEpoch,
    losses,
    elapsed: (performance.now() - started) / 1000,
    history: trainer.history as HistoryRow[],
  });
  const render = (s: ProgressState) => {
    const v = progressView(s);
    table.showHtml(v.html, v.text);
    lastShown = performance.now();
  };
  let lastLosses: Record<string, number> = {};
  return {
    onTrainStart(trainer) {
      started = performance.now();
      total = Math.max(opts.totalEpochs ?? trainer.model.config.epochs, trainer.state.epoch + 1);
      render(state(trainer, trainer.state.epoch, trainer.state.batch, {}));
    },
    onBatchEnd(info, trainer) {
      lastLosses = info.losses;
      if (performance.now() - lastShown >= interval) render(state(trainer, info.epoch, info.batch, info.losses));
    },
    async onEpochEnd(m, trainer) {
      render(state(trainer, m.epoch, trainer.batchesPerEpoch, lastLosses, m.epoch + 1 === total ? 'done' : undefined));
      if (chart) await chart.showFigure(trainingCurvesSpec(trainer.history as HistoryRow[]), { scale: 1.5 });
    },
    onTrainEnd(trainer, outcome) {
      const s = trainer.state;
      // after a finished epoch the state points at batch 0 of the next one: show the finished epoch
      const [epoch, batch] = s.batch === 0 && s.epoch > 0 ? [s.epoch - 1, trainer.batchesPerEpoch] : [s.epoch, s.batch];
      render(state(trainer, epoch, batch, lastLosses, outcome === 'interrupted' ? 'interrupted' : 'done'));
    },
  };
}

// ------------------------------------------------------------------ tables and text

/** A table cell: text as given; numbers formatted (integers with thousands separators, else 4 significant digits). */
export type TableValue = string | number | null | undefined;

export interface TableOptions {
  /** Columns in order (default: the keys of the rows, in first-seen order). */
  columns?: string[];
  /** A line above the table. */
  caption?: string;
  /** Column alignment (default: right when every value of the column is a number or looks like one). */
  align?: Record<string, 'left' | 'right'>;
}

/** The text of one table cell. */
export function formatCell(v: TableValue): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return '-';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Math.abs(v) >= 1e-3 ? Number(v.toPrecision(4)).toString() : v.toExponential(2);
}

const NUMERIC_TEXT = /^[-+−]?[\d,.]+(e[-+]?\d+)?\s*(%|\(±[\d.,]+%?\)|±\s*[\d.,]+)?(\s*±\s*[\d.,]+%?)?$/;

/** A table's cells as text, its columns and their alignment. */
export function tableCells(rows: readonly Record<string, TableValue>[], opts: TableOptions = {}) {
  const columns = opts.columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cells = rows.map((r) => columns.map((c) => formatCell(r[c])));
  const align = columns.map((c, j) => opts.align?.[c] ?? (cells.length > 0 && cells.every((row) => row[j] === '-' || NUMERIC_TEXT.test(row[j])) ? 'right' : 'left'));
  return { columns, cells, align };
}

/** A plain-text table: columns padded with spaces, a rule under the header (no box drawing). */
export function plainTable(rows: readonly Record<string, TableValue>[], opts: TableOptions = {}): string {
  const { columns, cells, align } = tableCells(rows, opts);
  const widths = columns.map((c, j) => Math.max(c.length, ...cells.map((r) => r[j].length)));
  const pad = (t: string, j: number) => (align[j] === 'right' ? t.padStart(widths[j]) : t.padEnd(widths[j]));
  const line = (r: string[]) => r.map(pad).join('  ').trimEnd();
  return [...(opts.caption ? [opts.caption] : []), line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** An HTML table (header row, right-aligned numbers) with an optional caption. */
export function htmlTable(rows: readonly Record<string, TableValue>[], opts: TableOptions = {}): string {
  const { columns, cells, align } = tableCells(rows, opts);
  // numbers and short cells never break inside (no "wasm-" / "blas" or "1.90 ±" / "0.10")
  const td = (t: string, j: number, tag: string) => `<${tag} style="text-align:${align[j]}${tag === 'td' && (align[j] === 'right' || t.length <= 12) ? ';white-space:nowrap' : ''}">${esc(t)}</${tag}>`;
  return (
    '<table>' +
    (opts.caption ? `<caption style="text-align:left">${esc(opts.caption)}</caption>` : '') +
    `<thead><tr>${columns.map((c, j) => td(c, j, 'th')).join('')}</tr></thead>` +
    `<tbody>${cells.map((r) => `<tr>${r.map((c, j) => td(c, j, 'td')).join('')}</tr>`).join('')}</tbody></table>`
  );
}

/** The display bundle of a table: text/html and its plain-text fallback in one display_data. */
export function tableBundle(rows: readonly Record<string, TableValue>[], opts: TableOptions = {}): DisplayData {
  return { data: { 'text/html': htmlTable(rows, opts), 'text/plain': plainTable(rows, opts) }, metadata: {}, transient: {} };
}

/** Shows rows as one table: HTML where the front-end renders it, aligned plain text elsewhere. */
export function showTable(rows: readonly Record<string, TableValue>[], opts: TableOptions = {}): void {
  sendDisplayData(tableBundle(rows, opts));
}

/**
 * A Markdown pipe table (as results tables are printed) as rows, with the lines before it as
 * caption; cells keep their text, `---:` columns align right.
 */
export function parseMarkdownTable(md: string): { rows: Record<string, string>[]; options: TableOptions } {
  const lines = md
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const table = lines.filter((l) => l.startsWith('|'));
  if (table.length < 2) throw new RangeError('parseMarkdownTable: no Markdown table (header and rule lines) found');
  const split = (l: string) =>
    l
      .replace(/^\|/, '')
      .replace(/\|$/, '')
      .split('|')
      .map((c) => c.trim());
  const columns = split(table[0]);
  const rule = split(table[1]);
  const align = Object.fromEntries(columns.map((c, j) => [c, rule[j]?.endsWith(':') ? 'right' : 'left'])) as Record<string, 'left' | 'right'>;
  const rows = table.slice(2).map((l) => Object.fromEntries(split(l).map((v, j) => [columns[j], v])));
  const caption =
    lines
      .filter((l) => !l.startsWith('|'))
      .join(' ')
      .replace(/:$/, '') || undefined;
  return { rows, options: { columns, align, caption } };
}

/** Wraps text to lines of at most `width` characters at spaces (paragraph breaks kept). */
export function wrapPlain(text: string, width = 100): string {
  return text
    .split('\n')
    .map((para) => {
      const out: string[] = [];
      let line = '';
      for (const w of para.split(' ')) {
        if (line && line.length + 1 + w.length > width) {
          out.push(line);
          line = w;
        } else line = line ? `${line} ${w}` : w;
      }
      out.push(line);
      return out.join('\n');
    })
    .join('\n');
}

/** Shows Markdown (rendered by Jupyter, nbconvert and GitHub), with the text wrapped at 100 characters as fallback. */
export function showMarkdown(md: string): void {
  sendDisplayData({ data: { 'text/markdown': md, 'text/plain': wrapPlain(md.replace(/\*\*|`/g, '')) }, metadata: {}, transient: {} });
}
