/**
 * Digit images for charts: many 28x28 images composed into ONE grayscale PNG (pngjs), carried in a
 * spec as a data URL and drawn by a single Vega-Lite image mark. A 400-digit grid stays a few
 * hundred kB of spec and renders in milliseconds (one mark per pixel or per digit would not).
 */
import { PNG } from 'pngjs';
import { IMAGE_SIZE, PIXELS } from '../data/mnist';

export interface DigitGridOptions {
  /** Pixels of separation between digits (drawn in `padValue`), default 0 (a continuous canvas). */
  pad?: number;
  /** Gray level 0-255 of the separation, default 128. */
  padValue?: number;
  /** Black digits on white instead of MNIST's white on black. */
  invert?: boolean;
}

export interface DigitGrid {
  rows: number;
  cols: number;
  /** Pixel size of the composed image. */
  width: number;
  height: number;
  png: Buffer;
  /** `data:image/png;base64,...` for an image mark. */
  url: string;
}

/**
 * Composes `rows * cols` images (flattened 784-float rows in [0, 1], row-major: image i goes to
 * row floor(i / cols), column i % cols) into one 8-bit grayscale PNG.
 */
export function digitGrid(images: ArrayLike<number>, rows: number, cols: number, opts: DigitGridOptions = {}): DigitGrid {
  if (!(Number.isInteger(rows) && rows > 0 && Number.isInteger(cols) && cols > 0)) {
    throw new RangeError(`digitGrid: rows and cols must be positive integers, got ${rows} x ${cols}`);
  }
  if (images.length !== rows * cols * PIXELS) {
    throw new RangeError(`digitGrid: ${rows} x ${cols} images need ${rows * cols * PIXELS} values, got ${images.length}`);
  }
  const pad = opts.pad ?? 0;
  const S = IMAGE_SIZE;
  const width = cols * S + (cols - 1) * pad;
  const height = rows * S + (rows - 1) * pad;
  const data = Buffer.alloc(width * height, opts.padValue ?? 128);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const src = (r * cols + c) * PIXELS;
      const x0 = c * (S + pad);
      const y0 = r * (S + pad);
      for (let py = 0; py < S; py++) {
        const row = (y0 + py) * width + x0;
        for (let px = 0; px < S; px++) {
          const v = images[src + py * S + px];
          const g = Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)));
          data[row + px] = opts.invert ? 255 - g : g;
        }
      }
    }
  }
  const png = PNG.sync.write({ width, height, data } as unknown as PNG, { colorType: 0, inputColorType: 0, inputHasAlpha: false, deflateStrategy: 0 });
  return { rows, cols, width, height, png, url: `data:image/png;base64,${png.toString('base64')}` };
}
