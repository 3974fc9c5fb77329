/**
 * Renders the Vega-Lite bundles of executed notebooks with vega-embed in headless Chromium (the
 * Debian `chromium` package, driven through playwright-core; nothing is downloaded) and compares
 * each rendering with the bundle's PNG fallback: no error or warning, the same data marks as the
 * headless Node rendering of the spec, the same size within a tolerance, and the same picture on
 * a coarse grid of blocks. vega, vega-lite and vega-embed come from node_modules and are served to
 * the page by a loopback HTTP server (no network).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { PNG } from 'pngjs';
import { headlessView } from '../lib/display/render';
import { FIGURE_METADATA_KEY, VEGALITE_MIME } from '../lib/display/jupyter';
import type { FigureSpec } from '../lib/figures/specs';

/** Flags for a headless, offline, throw-away Chromium. */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The Chromium to use: $AAE_CHROMIUM, else Debian's /usr/bin/chromium; null when absent. */
export function findChromium(): string | null {
  for (const p of [process.env.AAE_CHROMIUM, '/usr/bin/chromium']) if (p && fs.existsSync(p)) return p;
  return null;
}

export interface Bundle {
  /** "<notebook> / <figure name or output n>". */
  where: string;
  spec: FigureSpec;
  png: PNG;
  /** PNG pixels per CSS pixel (metadata width). */
  scale: number;
  cssWidth: number;
  cssHeight: number;
  /** The PNG shows a static layout of an interactive spec (e.g. all ten labels of a slider). */
  staticFallback: boolean;
}

/** Every display_data of a notebook that carries a Vega-Lite spec and a PNG. */
export function notebookBundles(file: string): Bundle[] {
  const nb = JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: { outputs?: Record<string, any>[] }[] };
  const name = file
    .split('/')
    .pop()!
    .replace(/\.ipynb$/, '');
  const out: Bundle[] = [];
  let n = 0;
  for (const cell of nb.cells) {
    for (const o of cell.outputs ?? []) {
      if (o.output_type !== 'display_data' && o.output_type !== 'update_display_data') continue;
      const spec = o.data?.[VEGALITE_MIME];
      const b64 = o.data?.['image/png'];
      if (!spec || !b64) continue;
      n++;
      const png = PNG.sync.read(Buffer.from([b64].flat().join(''), 'base64'));
      const meta = o.metadata?.['image/png'] ?? {};
      const cssWidth = meta.width ?? png.width / 2;
      const info = o.metadata?.[FIGURE_METADATA_KEY] ?? {};
      out.push({
        where: `${name} / ${info.figure ?? `output ${n}`}`,
        spec,
        png,
        scale: png.width / cssWidth,
        cssWidth,
        cssHeight: meta.height ?? png.height / 2,
        staticFallback: !!info.staticFallback,
      });
    }
  }
  return out;
}

/** Counts of scenegraph items per mark type of the data marks (role "mark"), e.g. {symbol: 10000}. */
export function markCounts(root: unknown): Record<string, number> {
  const counts: Record<string, number> = {};
  const walk = (node: any) => {
    if (!node) return;
    if (node.marktype && node.role === 'mark') counts[node.marktype] = (counts[node.marktype] ?? 0) + (node.items?.length ?? 0);
    for (const it of node.items ?? []) walk(it);
  };
  walk(root);
  return counts;
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8">
<style>body{margin:0;font-family:'DejaVu Sans',sans-serif} #vis{display:inline-block}</style>
<script src="/vega.js"></script><script src="/vega-lite.js"></script><script src="/vega-embed.js"></script>
</head><body><div id="vis"></div><script>
window.problems = [];
window.render = async (spec, scale) => {
  const el = document.getElementById('vis');
  el.innerHTML = '';
  window.problems = [];
  const logger = { level() { return this; }, error(...a) { window.problems.push('error: ' + a.join(' ')); return this; },
    warn(...a) { window.problems.push('warning: ' + a.join(' ')); return this; }, info() { return this; }, debug() { return this; } };
  try {
    const res = await vegaEmbed(el, spec, { renderer: 'canvas', actions: false, logger });
    window.view = res.view;
    await res.view.runAsync();
  } catch (e) {
    window.problems.push('embed failed: ' + (e && e.message || e));
    return { problems: window.problems };
  }
  return window.snapshot(scale);
};
window.snapshot = async (scale) => {
  const view = window.view;
  await view.runAsync();
  const marks = {};
  const walk = (n) => { if (!n) return; if (n.marktype && n.role === 'mark') marks[n.marktype] = (marks[n.marktype] || 0) + (n.items ? n.items.length : 0);
    for (const it of n.items || []) walk(it); };
  walk(view.scenegraph().root);
  const canvas = await view.toCanvas(scale);
  return { problems: window.problems, marks, width: canvas.width / scale, height: canvas.height / scale, png: canvas.toDataURL('image/png') };
};
</script></body></html>`;

/** Serves the page and the vega bundles from node_modules on a loopback port. */
function serve(): Promise<{ url: string; close: () => void }> {
  // the packages' browser builds (their "exports" do not list them: found from node_modules itself)
  const modules = path.join(__dirname, '..', 'node_modules');
  const files: Record<string, string> = {
    '/vega.js': path.join(modules, 'vega', 'build', 'vega.min.js'),
    '/vega-lite.js': path.join(modules, 'vega-lite', 'build', 'vega-lite.min.js'),
    '/vega-embed.js': path.join(modules, 'vega-embed', 'build', 'vega-embed.min.js'),
  };
  const server = http.createServer((req, res) => {
    const file = files[req.url ?? ''];
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    } else if (file) {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(fs.readFileSync(file));
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}/`, close: () => server.close() });
    });
  });
}

interface Snapshot {
  problems: string[];
  marks?: Record<string, number>;
  width?: number;
  height?: number;
  png?: string;
}

/** Mean darkness (0 white .. 1 black) of each block of a grid laid over an image. */
export function blockDarkness(png: PNG, blocks: number): number[] {
  const out = new Array<number>(blocks * blocks).fill(0);
  const cnt = new Array<number>(blocks * blocks).fill(0);
  for (let y = 0; y < png.height; y++) {
    const by = Math.min(blocks - 1, Math.floor((y * blocks) / png.height));
    for (let x = 0; x < png.width; x++) {
      const bx = Math.min(blocks - 1, Math.floor((x * blocks) / png.width));
      const i = (y * png.width + x) * 4;
      const a = png.data[i + 3] / 255;
      const lum = (0.299 * png.data[i] + 0.587 * png.data[i + 1] + 0.114 * png.data[i + 2]) / 255;
      out[by * blocks + bx] += 1 - (a * lum + (1 - a));
      cnt[by * blocks + bx]++;
    }
  }
  return out.map((v, i) => v / Math.max(1, cnt[i]));
}

/** Mean colour (r, g, b in 0..1, alpha over white) of each block of a grid laid over an image. */
export function blockColours(png: PNG, blocks: number): number[] {
  const out = new Array<number>(blocks * blocks * 3).fill(0);
  const cnt = new Array<number>(blocks * blocks).fill(0);
  for (let y = 0; y < png.height; y++) {
    const by = Math.min(blocks - 1, Math.floor((y * blocks) / png.height));
    for (let x = 0; x < png.width; x++) {
      const bx = Math.min(blocks - 1, Math.floor((x * blocks) / png.width));
      const i = (y * png.width + x) * 4;
      const a = png.data[i + 3] / 255;
      const b = by * blocks + bx;
      for (let c = 0; c < 3; c++) out[3 * b + c] += (a * png.data[i + c]) / 255 + (1 - a);
      cnt[b]++;
    }
  }
  return out.map((v, i) => v / Math.max(1, cnt[Math.floor(i / 3)]));
}

/** Fraction of pixels that differ by more than 8 levels in a channel (1 when the sizes differ). */
export function changedPixels(a: PNG, b: PNG): number {
  if (a.width !== b.width || a.height !== b.height) return 1;
  let n = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    if (Math.abs(a.data[i] - b.data[i]) > 8 || Math.abs(a.data[i + 1] - b.data[i + 1]) > 8 || Math.abs(a.data[i + 2] - b.data[i + 2]) > 8) n++;
  }
  return n / (a.width * a.height);
}

/** Mean absolute difference of two block maps. */
export function blockDifference(a: number[], b: number[]): number {
  return a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
}

export interface CheckOptions {
  /** Size tolerance, a fraction of the PNG's size (default 0.05) with at least 6 CSS px. */
  sizeTolerance?: number;
  /** Largest mean block colour difference (default 0.02, on a 24 x 24 grid). */
  pictureTolerance?: number;
  /** Called per bundle with its result line. */
  log?: (line: string) => void;
}

export interface BrowserReport {
  checked: number;
  problems: string[];
  /** Label slider checks done (one per bundle with a bound param). */
  sliders: number;
}

const BLOCKS = 24;

/** Renders every bundle in one Chromium; returns every problem found (empty: all matched). */
export async function checkBundles(chromium: string, bundles: readonly Bundle[], opts: CheckOptions = {}): Promise<BrowserReport> {
  const { chromium: pw } = await import('playwright-core');
  const server = await serve();
  const browser = await pw.launch({ executablePath: chromium, headless: true, args: CHROMIUM_FLAGS });
  const problems: string[] = [];
  let sliders = 0;
  const log = opts.log ?? (() => {});
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.route(/^(?!http:\/\/127\.0\.0\.1)/, (route) => route.abort()); // nothing leaves the machine
    await page.goto(server.url);
    for (const b of bundles) {
      const mine: string[] = [];
      const snap = (await page.evaluate(([spec, scale]) => (globalThis as any).render(spec, scale), [b.spec, b.scale] as const)) as Snapshot;
      mine.push(...snap.problems);
      if (snap.png && snap.width !== undefined && snap.height !== undefined) {
        const tol = opts.sizeTolerance ?? 0.05;
        const near = (a: number, e: number) => Math.abs(a - e) <= Math.max(6, tol * e);
        if (!b.staticFallback && (!near(snap.width, b.cssWidth) || !near(snap.height, b.cssHeight))) {
          mine.push(`size ${snap.width}x${snap.height} in the browser, ${b.cssWidth}x${b.cssHeight} in the PNG fallback`);
        }
        const shot = PNG.sync.read(Buffer.from(snap.png.split(',')[1], 'base64'));
        if (b.staticFallback) {
          log(`${b.where}: the PNG shows a static layout of this interactive chart; picture, size and marks not compared`);
        } else {
          const node = await headlessView(b.spec);
          const expected = markCounts((node.scenegraph() as unknown as { root: unknown }).root);
          node.finalize();
          if (JSON.stringify(sorted(snap.marks ?? {})) !== JSON.stringify(sorted(expected))) {
            mine.push(`marks ${JSON.stringify(sorted(snap.marks ?? {}))} in the browser, ${JSON.stringify(sorted(expected))} behind the PNG`);
          }
          // the same picture: mean colour of each block of a 24 x 24 grid (where the marks are and in
          // which colour), within what fonts and anti-aliasing change
          const diff = blockDifference(blockColours(shot, BLOCKS), blockColours(b.png, BLOCKS));
          if (process.env.AAE_BROWSER_DEBUG) log(`${b.where}: mean block colour difference ${diff.toFixed(4)}`);
          if (diff > (opts.pictureTolerance ?? 0.02)) mine.push(`picture differs from the PNG fallback (mean block colour difference ${diff.toFixed(3)})`);
        }
        const params = ((b.spec as { params?: { name: string; bind?: { input?: string } }[] }).params ?? []).filter((p) => p.bind?.input === 'range');
        for (const p of params) {
          sliders++;
          const name = await page.evaluate(() => (globalThis as any).document.querySelector('.vega-bind-name')?.textContent ?? null);
          if (name !== p.name) mine.push(`slider labelled ${JSON.stringify(name)}, expected ${JSON.stringify(p.name)}`);
          const before = await page.evaluate(() => (globalThis as any).view.signal('label'));
          const target = before === 7 ? 3 : 7;
          await page.locator('input[type=range]').first().fill(String(target)); // as a user moving the slider
          const moved = (await page.evaluate((s) => (globalThis as any).snapshot(s), b.scale)) as Snapshot;
          const now = await page.evaluate((n) => (globalThis as any).view.signal(n), p.name);
          if (now !== target) mine.push(`slider "${p.name}" moved to ${target}, the chart's param is ${now}`);
          const change = changedPixels(shot, PNG.sync.read(Buffer.from(moved.png!.split(',')[1], 'base64')));
          if (!(change > 0.001)) mine.push(`slider "${p.name}" moved from ${before} to ${target} but the picture did not change (${(100 * change).toFixed(3)}% of pixels)`);
          mine.push(...moved.problems.filter((m) => !snap.problems.includes(m)));
        }
      }
      log(`${mine.length ? 'FAIL' : 'ok  '} ${b.where}${mine.length ? `: ${mine.join('; ')}` : ''}`);
      problems.push(...mine.map((m) => `${b.where}: ${m}`));
    }
  } finally {
    await browser.close();
    server.close();
  }
  return { checked: bundles.length, problems, sliders };
}

function sorted(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}
