import * as fs from 'fs'; import { PNG } from 'pngjs';
const nb = JSON.parse(fs.readFileSync('/work/main/notebooks/03-manifold-supervised.ipynb', 'utf8'));
const o = nb.cells.flatMap((c: any) => c.outputs ?? []).find((o: any) => o.metadata?.aae_lab?.figure === 'manifold');
const url: string = JSON.stringify(o.data['application/vnd.vegalite.v5+json']).match(/data:image\/png;base64,([^"]+)/)![1];
const img = PNG.sync.read(Buffer.from(url, 'base64'));
const g = Buffer.alloc(img.width * img.height); for (let i = 0; i < g.length; i++) g[i] = img.data[4 * i];
console.log('orig', Buffer.from(url, 'base64').length, img.width, img.height);
for (const deflateStrategy of [0, 1, 2, 3]) for (const filterType of [-1, 0, 1, 2, 4]) {
  const b = PNG.sync.write({ width: img.width, height: img.height, data: g } as any, { colorType: 0, inputColorType: 0, inputHasAlpha: false, deflateLevel: 9, deflateStrategy, filterType } as any);
  console.log(deflateStrategy, filterType, b.length);
}
const png = PNG.sync.read(Buffer.from(o.data['image/png'], 'base64'));
console.log('fallback', Buffer.from(o.data['image/png'], 'base64').length, png.width, png.height);
const g2 = Buffer.alloc(png.width * png.height); for (let i = 0; i < g2.length; i++) g2[i] = png.data[4 * i];
for (const deflateStrategy of [0, 3]) for (const filterType of [-1, 2, 4]) {
  const b = PNG.sync.write({ width: png.width, height: png.height, data: g2 } as any, { colorType: 0, inputColorType: 0, inputHasAlpha: false, deflateLevel: 9, deflateStrategy, filterType } as any);
  console.log('fb', deflateStrategy, filterType, b.length);
}
