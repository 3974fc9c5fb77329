/** Test helper: checkpoints with an edited header, for damaged-but-readable checkpoints. */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

/** Rewrites a checkpoint's header JSON (with a fresh CRC). */
export function editHeader(file: string, edit: (h: Record<string, any>) => void): void {
  const buf = fs.readFileSync(file);
  const hlen = buf.readUInt32LE(8);
  const header = JSON.parse(buf.subarray(16, 16 + hlen).toString('utf8'));
  edit(header);
  let json = JSON.stringify(header);
  json += ' '.repeat((4 - (Buffer.byteLength(json) % 4)) % 4);
  const hb = Buffer.from(json);
  const body = Buffer.concat([hb, buf.subarray(16 + hlen)]);
  const head = Buffer.from(buf.subarray(0, 16));
  head.writeUInt32LE(hb.length, 8);
  head.writeUInt32LE((zlib as unknown as { crc32: (b: Uint8Array) => number }).crc32(body) >>> 0, 12);
  fs.writeFileSync(file, Buffer.concat([head, body]));
}
