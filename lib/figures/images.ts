/**
 * Images for charts: many images (MNIST's 28x28 grey digits, or any size, grey or colour) composed
 * into ONE PNG (pngjs; grayscale, or RGB for colour images), carried in a
 * spec as a data URL and drawn by a single Vega-Lite image mark. A 400-digit grid stays a few
 * hundred kB of spec and renders in milliseconds (one mark per pixel or per digit would not).
 */
import { PNG } from 'pngjs';
import { MNIST_SHAPE, pixelsOf, shapeText, type ImageShape } from '../data/dataset';

export interface DigitGridOptions {
  /** Pixels of separation between digits (drawn in `padValue`), default 0 (a continuous canvas). */
  pad?: number;
  /** Gray level 0-255 of the separation, default 128. */
  padValue?: number;
  /** Black digits on white instead of MNIST's white on black. */
  invert?: boolean;
  /** The images' height, width and channels (default MNIST's 28x28, grey; 3 channels: an RGB PNG). */
  shape?: ImageShape;
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
 * Composes `rows * cols` images (flattened rows in [0, 1] of opts.shape, default 28x28 = 784 values,
 * row-major, channels last: image i goes to row floor(i / cols), column i % cols) into one 8-bit
 * grayscale (or, for 3 channels, RGB) PNG.
 */
export function digitGrid(images: ArrayLike<number>, rows: number, cols: number, opts: DigitGridOptions = {}): DigitGrid {
  if (!(Number.isInteger(rows) && rows > 0 && Number.isInteger(cols) && cols > 0)) {
    throw new RangeError(`digitGrid: rows and cols must be positive integers, got ${rows} x ${cols}`);
  }
  const shape = opts.shape ?? MNIST_SHAPE;
  const P = pixelsOf(shape);
  if (images.length !== rows * cols * P) {
    throw new RangeError(`digitGrid: ${rows} x ${cols} images${shape === MNIST_SHAPE ? '' : ` of ${shapeText(shape)}`} need ${rows * cols * P} values, got ${images.length}`);
  }
  const pad = opts.pad ?? 0;
  const H = shape.height;
  const W = shape.width;
  const C = shape.channels;
  const width = cols * W + (cols - 1) * pad;
  const height = rows * H + (rows - 1) * pad;
  const data = Buffer.alloc(width * height * C, opts.padValue ?? 128);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const src = (r * cols + c) * P;
      const x0 = c * (W + pad);
      const y0 = r * (H + pad);
      for (let py = 0; py < H; py++) {
        const row = ((y0 + py) * width + x0) * C;
        for (let px = 0; px < W * C; px++) {
          const v = images[src + py * W * C + px];
          const g = Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)));
          data[row + px] = opts.invert ? 255 - g : g;
        }
      }
    }
  }
  const colorType = C === 3 ? 2 : 0;
  const png = PNG.sync.write({ width, height, data } as unknown as PNG, { colorType, inputColorType: colorType, inputHasAlpha: false, deflateStrategy: 0 });
  return { rows, cols, width, height, png, url: `data:image/png;base64,${png.toString('base64')}` };
}
