/**
 * Headless rendering of Vega-Lite specs in Node: vega-lite 5 compiles the spec, a vega 5 View with
 * renderer 'none' writes SVG (no canvas package needed), resvg turns the SVG into PNG with DejaVu
 * fonts (sans-serif otherwise falls back to a serif face).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import { PNG } from 'pngjs';
import type { FigureSpec } from '../figures/specs';
import { writeFileAtomic } from '../atomic-write';

/** Compiles a Vega-Lite spec to a Vega spec. */
export function compileSpec(spec: FigureSpec): vega.Spec {
  return vl.compile(spec).spec as vega.Spec;
}

/**
 * A headless View of a spec, run once (data flowed, scenegraph built). `signals` sets top-level
 * params (e.g. the label selector) before the run. Finalize it when done.
 */
export async function headlessView(spec: FigureSpec, signals: Record<string, unknown> = {}): Promise<vega.View> {
  const view = new vega.View(vega.parse(compileSpec(spec)), { renderer: 'none' });
  for (const [k, v] of Object.entries(signals)) view.signal(k, v);
  await view.runAsync();
  return view;
}

/** SVG text of a spec. */
export async function renderSvg(spec: FigureSpec, signals?: Record<string, unknown>): Promise<string> {
  const view = await headlessView(spec, signals);
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface RenderedPng {
  png: Buffer;
  /** Pixel size of the PNG. */
  width: number;
  height: number;
  /** Size of the figure in CSS pixels (PNG size / scale): the display size in a notebook. */
  cssWidth: number;
  cssHeight: number;
}

export interface PngOptions {
  /** Pixels per CSS pixel (default 2, sharp on high-DPI screens). */
  scale?: number;
  /** Font files to use instead of the system's (for machines without DejaVu fonts). */
  fontFiles?: string[];
  /**
   * Write an 8-bit grayscale PNG when every pixel is an opaque gray (digit grids with black
   * text: about half the size of RGBA). Default true; colour figures are written as RGBA.
   */
  grayscale?: boolean;
}

/** The grayscale PNG of RGBA pixels, or null when any pixel has colour or transparency. */
function grayscalePng(rgba: Buffer, width: number, height: number): Buffer | null {
  const n = width * height;
  const g = Buffer.alloc(n);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    const r = rgba[j];
    if (r !== rgba[j + 1] || r !== rgba[j + 2] || rgba[j + 3] !== 255) return null;
    g[i] = r;
  }
  return PNG.sync.write({ width, height, data: g } as unknown as PNG, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/** PNG of an SVG (resvg), white background, sans-serif text in DejaVu Sans where installed. */
export function svgToPng(svg: string, opts: PngOptions = {}): RenderedPng {
  const scale = opts.scale ?? 2;
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: {
      loadSystemFonts: !opts.fontFiles,
      fontFiles: opts.fontFiles,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
  });
  const img = resvg.render();
  const png = (opts.grayscale ?? true) ? (grayscalePng(img.pixels, img.width, img.height) ?? Buffer.from(img.asPng())) : Buffer.from(img.asPng());
  return { png, width: img.width, height: img.height, cssWidth: Math.round(img.width / scale), cssHeight: Math.round(img.height / scale) };
}

/** PNG of a spec. */
export async function renderPng(spec: FigureSpec, opts: PngOptions & { signals?: Record<string, unknown> } = {}): Promise<RenderedPng> {
  return svgToPng(await renderSvg(spec, opts.signals), opts);
}

export interface WriteFigureOptions extends PngOptions {
  /** Also write the SVG: true, false, or 'auto' (default: only when it is under maxSvgBytes). */
  svg?: boolean | 'auto';
  /** Largest SVG written under svg 'auto' (default 1 MB: a 10,000-point scatter is ~2-3 MB). */
  maxSvgBytes?: number;
  /** Also write the Vega-Lite spec as <base>.vl.json. */
  json?: boolean;
}

/** Writes `<base>.png` (and `<base>.svg`, `<base>.vl.json` as asked); returns the paths written. */
export async function writeFigure(spec: FigureSpec, base: string, opts: WriteFigureOptions = {}): Promise<string[]> {
  fs.mkdirSync(path.dirname(base), { recursive: true });
  const svg = await renderSvg(spec);
  const written: string[] = [];
  const png = svgToPng(svg, opts);
  writeFileAtomic(`${base}.png`, png.png);
  written.push(`${base}.png`);
  const wantSvg = opts.svg ?? 'auto';
  if (wantSvg === true || (wantSvg === 'auto' && Buffer.byteLength(svg) <= (opts.maxSvgBytes ?? 1_000_000))) {
    writeFileAtomic(`${base}.svg`, svg);
    written.push(`${base}.svg`);
  }
  if (opts.json) {
    writeFileAtomic(`${base}.vl.json`, JSON.stringify(spec));
    written.push(`${base}.vl.json`);
  }
  return written;
}
