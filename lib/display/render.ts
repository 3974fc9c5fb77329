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
import UPNG from 'upng-js';
import type { FigureSpec } from '../figures/specs';
import { writeFileAtomic } from '../atomic-write';

const FONT_OPTIONS = { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' };

/**
 * Advance widths (px at font size 100) of the printable ASCII characters in DejaVu Sans, regular
 * and bold, measured once with resvg: "x" + c + "x" less "xx".
 */
let advances: { normal: number[]; bold: number[] } | null = null;
function advanceTable(): { normal: number[]; bold: number[] } {
  if (advances) return advances;
  const ink = (text: string, weight: string) => {
    const esc = text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="3000" height="200"><text x="10" y="150" font-family="DejaVu Sans" font-size="100" font-weight="${weight}" xml:space="preserve">${esc}</text></svg>`;
    const box = new Resvg(svg, { font: FONT_OPTIONS }).getBBox();
    return box ? box.width : NaN;
  };
  const table = (weight: string) => {
    const xx = ink('xx', weight);
    return Array.from({ length: 95 }, (_, i) => ink(`x${String.fromCharCode(32 + i)}x`, weight) - xx);
  };
  advances = { normal: table('normal'), bold: table('bold') };
  if (!advances.normal.every(Number.isFinite)) advances = null; // no font: keep vega's estimate
  return advances ?? { normal: [], bold: [] };
}

/** Text width in px as DejaVu Sans draws it (the font of the PNGs), for vega's layout. */
export function textWidth(text: string, fontSize: number, bold = false): number {
  const t = advanceTable()[bold ? 'bold' : 'normal'];
  if (t.length === 0) return 0.6 * fontSize * text.length;
  const avg = t[65 - 32]; // 'a'-like fallback for characters outside ASCII: the width of 'a'
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)! - 32;
    w += c >= 0 && c < t.length ? t[c] : avg;
  }
  return (w * fontSize) / 100;
}

// Headless vega has no canvas to measure text and estimates 0.8 em per character, which makes
// titles and legends look wider than they are (blank margins, wrong layout): measure instead.
interface TextItem {
  text?: unknown;
  fontSize?: number;
  fontWeight?: string | number;
}
(vega as unknown as { textMetrics: { width: (item: TextItem, text: unknown) => number } }).textMetrics.width = (item, text) => {
  const value = text ?? item.text;
  const str = value == null ? '' : Array.isArray(value) ? value.join(' ') : String(value);
  const weight = item.fontWeight;
  const bold = weight === 'bold' || weight === 'bolder' || (typeof weight === 'number' && weight >= 600) || Number(weight) >= 600;
  return textWidth(str, item.fontSize ?? 11, bold);
};

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
  /**
   * Write a colour figure as an indexed PNG of at most 256 colours (default true): charts have few
   * colours, so this is about a third of the RGBA size and looks the same; false keeps RGBA.
   */
  palette?: boolean;
}

/** An indexed PNG of RGBA pixels with at most 256 colours (exact when the image has no more). */
function palettePng(rgba: Buffer, width: number, height: number): Buffer {
  const ab = rgba.buffer.slice(rgba.byteOffset, rgba.byteOffset + rgba.byteLength) as ArrayBuffer;
  return Buffer.from(UPNG.encode([ab], width, height, 256));
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
  return PNG.sync.write({ width, height, data: g } as unknown as PNG, { colorType: 0, inputColorType: 0, inputHasAlpha: false, deflateStrategy: 0 });
}

/** PNG of an SVG (resvg), white background, sans-serif text in DejaVu Sans where installed. */
export function svgToPng(svg: string, opts: PngOptions = {}): RenderedPng {
  const scale = opts.scale ?? 2;
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { ...FONT_OPTIONS, loadSystemFonts: !opts.fontFiles, fontFiles: opts.fontFiles },
  });
  const img = resvg.render();
  const pixels = img.pixels; // a getter that copies: read it once
  const png = ((opts.grayscale ?? true) ? grayscalePng(pixels, img.width, img.height) : null) ?? ((opts.palette ?? true) ? palettePng(pixels, img.width, img.height) : Buffer.from(img.asPng()));
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
