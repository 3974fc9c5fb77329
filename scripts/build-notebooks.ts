/**
 * Builds the notebooks (notebooks/NN-name.ipynb) from their readable sources (notebooks/src/NN-name.md),
 * keeping the outputs of every code cell whose source did not change, so executed outputs survive a
 * rebuild and the sources stay the place to review and edit.
 *
 * Source format: Markdown. A fenced block whose info string starts with `ts` or `typescript` is a
 * code cell (`ts parameters` also tags it "parameters"); the prose between two code blocks is one
 * Markdown cell. An HTML comment `<!-- figures: a, b -->` lists the figure names the notebook must
 * display (kept in the notebook's metadata, checked by test/notebooks.test.ts).
 * Cell ids are derived from the cell's source, so an unchanged cell keeps its id and its outputs.
 *
 * Usage: tsx scripts/build-notebooks.ts [--check] [names...]
 *   --check  build nothing; exit 1 naming every notebook whose cells differ from its source.
 *        tsx scripts/build-notebooks.ts --format FILE.ipynb...
 *   rewrites executed notebooks in the committed form (see serialize).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const NOTEBOOK_DIR = path.join(__dirname, '..', 'notebooks');
export const SOURCE_DIR = path.join(NOTEBOOK_DIR, 'src');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface Cell {
  cell_type: 'markdown' | 'code';
  id: string;
  metadata: { [k: string]: Json };
  source: string[];
  outputs?: Json[];
  execution_count?: number | null;
}

export interface Notebook {
  cells: Cell[];
  metadata: { [k: string]: Json };
  nbformat: 4;
  nbformat_minor: 5;
}

const KERNELSPEC = { display_name: 'TypeScript', language: 'typescript', name: 'tslab' };

/** Splits text into notebook source lines (each but the last keeps its newline). */
function lines(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\n');
  return parts.map((l, i) => (i < parts.length - 1 ? l + '\n' : l)).filter((l) => l !== '');
}

/** Parses a notebook source into cells (without ids) and the figure names it declares. */
export function parseSource(text: string): { cells: Omit<Cell, 'id'>[]; figures: string[] } {
  const cells: Omit<Cell, 'id'>[] = [];
  const figures: string[] = [];
  let prose: string[] = [];
  const flushProse = () => {
    const t = prose
      .join('\n')
      .replace(/^\s*\n/, '')
      .trimEnd();
    if (t.trim() !== '') cells.push({ cell_type: 'markdown', metadata: {}, source: lines(t) });
    prose = [];
  };
  const rows = text.replace(/\r\n/g, '\n').split('\n');
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const fig = /^<!--\s*figures:\s*(.*?)\s*-->\s*$/.exec(row);
    if (fig) {
      figures.push(
        ...fig[1]
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      );
      continue;
    }
    const fence = /^```(ts|typescript)\b\s*(.*)$/.exec(row);
    if (!fence) {
      prose.push(row);
      continue;
    }
    flushProse();
    const tags = fence[2].split(/\s+/).filter(Boolean);
    const code: string[] = [];
    i++;
    while (i < rows.length && rows[i] !== '```') code.push(rows[i++]);
    if (i >= rows.length) throw new SyntaxError(`unclosed code block (opened as "${row}")`);
    const metadata: { [k: string]: Json } = tags.length ? { tags } : {};
    cells.push({ cell_type: 'code', metadata, source: lines(code.join('\n').trimEnd()), outputs: [], execution_count: null });
  }
  flushProse();
  return { cells, figures };
}

function cellId(cell: Omit<Cell, 'id'>, seen: Set<string>): string {
  const h = crypto.createHash('sha1').update(cell.cell_type).update('\0').update(cell.source.join('')).digest('hex');
  let id = h.slice(0, 12);
  for (let n = 2; seen.has(id); n++) id = `${h.slice(0, 12)}-${n}`;
  seen.add(id);
  return id;
}

/** The notebook of a source, carrying over outputs of unchanged code cells from `previous`. */
export function buildNotebook(text: string, name: string, previous: Notebook | null): Notebook {
  const { cells, figures } = parseSource(text);
  const seen = new Set<string>();
  const old = new Map((previous?.cells ?? []).map((c) => [c.id, c]));
  const built: Cell[] = cells.map((c) => {
    const id = cellId(c, seen);
    const cell: Cell = { ...c, id };
    const prev = old.get(id);
    if (c.cell_type === 'code' && prev && prev.cell_type === 'code') {
      cell.outputs = prev.outputs ?? [];
      cell.execution_count = prev.execution_count ?? null;
      if (prev.metadata.execution !== undefined) cell.metadata = { ...cell.metadata, execution: prev.metadata.execution };
    }
    return cell;
  });
  return {
    cells: built,
    metadata: {
      ...(previous?.metadata ?? {}),
      kernelspec: KERNELSPEC,
      aae_lab: { source: `src/${name}.md`, figures },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

/**
 * The notebook file: JSON as nbformat writes it (sorted keys, indent 1, trailing newline), except
 * inside JSON outputs (the Vega-Lite specs): there an array of plain values (a data column), a
 * short array or a short object is written on one line. A 10,000-point scatter is then a few lines, not 50,000.
 * scripts/notebooks.py rewrites every executed notebook in this form (`--format`).
 */
export function serialize(nb: Notebook): string {
  return format(nb, '', false) + '\n';
}

const COMPACT_ARRAY_CHARS = 120;

function format(v: unknown, indent: string, inJsonOutput: boolean): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const inner = indent + ' ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (inJsonOutput) {
      const flat = JSON.stringify(sortKeys(v));
      if (v.every((x) => x === null || typeof x !== 'object') || flat.length <= COMPACT_ARRAY_CHARS) return flat;
    }
    return `[\n${v.map((x) => inner + format(x, inner, inJsonOutput)).join(',\n')}\n${indent}]`;
  }
  const keys = Object.keys(v).sort();
  if (keys.length === 0) return '{}';
  if (inJsonOutput) {
    const flat = JSON.stringify(sortKeys(v));
    if (flat.length <= COMPACT_ARRAY_CHARS) return flat; // a short object (an axis, a scale) on one line
  }
  const o = v as Record<string, unknown>;
  // a JSON mime type (application/vnd.vegalite.v5+json, application/json) holds an output's object
  const item = (k: string) => `${inner}${JSON.stringify(k)}: ${format(o[k], inner, inJsonOutput || /(^|\+|\/)json$/.test(k))}`;
  return `{\n${keys.map(item).join(',\n')}\n${indent}}`;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** The parts of a notebook the source decides (not outputs, not kernel-written metadata). */
function shape(nb: Notebook): string {
  return JSON.stringify(
    sortKeys({
      cells: nb.cells.map((c) => ({ t: c.cell_type, id: c.id, s: c.source.join(''), tags: c.metadata.tags ?? null })),
      aae: nb.metadata.aae_lab ?? null,
      kernel: nb.metadata.kernelspec ?? null,
    }),
  );
}

export function sourceNames(): string[] {
  return fs
    .readdirSync(SOURCE_DIR)
    .filter((f) => f.endsWith('.md'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function main(argv: string[]): number {
  if (argv[0] === '--format') {
    // rewrite executed notebooks (files named on the command line) in the committed form
    for (const file of argv.slice(1)) fs.writeFileSync(file, serialize(JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook));
    return 0;
  }
  const check = argv.includes('--check');
  const names = argv.filter((a) => !a.startsWith('--'));
  const todo = names.length ? names : sourceNames();
  const stale: string[] = [];
  for (const name of todo) {
    const src = path.join(SOURCE_DIR, `${name}.md`);
    const out = path.join(NOTEBOOK_DIR, `${name}.ipynb`);
    const previous = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as Notebook) : null;
    const nb = buildNotebook(fs.readFileSync(src, 'utf8'), name, previous);
    if (check) {
      if (!previous || shape(previous) !== shape(nb)) stale.push(name);
      continue;
    }
    const text = serialize(nb);
    if (!previous || fs.readFileSync(out, 'utf8') !== text) {
      fs.writeFileSync(out, text);
      const kept = nb.cells.filter((c) => c.outputs && c.outputs.length > 0).length;
      console.log(`wrote notebooks/${name}.ipynb (${nb.cells.length} cells, outputs kept in ${kept})`);
    }
  }
  if (check && stale.length) {
    console.error(`notebooks out of date with notebooks/src: ${stale.join(', ')}; run npm run notebooks:build`);
    return 1;
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
