/**
 * Draws the extension icon (an open padlock on a rounded blue square) and writes
 * public/icon/{16,32,48,128}.png. Dependency-free: shapes are tested per sub-pixel (4×4
 * supersampling for smooth edges) and encoded as PNG with node:zlib.
 *
 *   npx tsx scripts/make-icons.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';

type RGBA = [number, number, number, number];
const BLUE: RGBA = [26, 115, 232, 255]; // #1a73e8
const WHITE: RGBA = [255, 255, 255, 255];
const CLEAR: RGBA = [0, 0, 0, 0];

function inRoundedRect(
  x: number,
  y: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  r: number,
): boolean {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

/** Colour at a point of the unit square. */
function shade(x: number, y: number): RGBA {
  if (!inRoundedRect(x, y, 0.02, 0.02, 0.98, 0.98, 0.22)) return CLEAR;
  // Keyhole (background colour inside the lock body).
  const keyhole =
    (x - 0.5) ** 2 + (y - 0.6) ** 2 <= 0.055 ** 2 || (Math.abs(x - 0.5) <= 0.025 && y >= 0.6 && y <= 0.71);
  if (inRoundedRect(x, y, 0.25, 0.46, 0.75, 0.82, 0.06)) return keyhole ? BLUE : WHITE;
  // Shackle, lifted: an arch whose right leg enters the body and whose left leg stops short (open).
  const cx = 0.5;
  const cy = 0.3;
  const outer = 0.19;
  const thickness = 0.075;
  const d = Math.hypot(x - cx, y - cy);
  if (y <= cy && d <= outer && d >= outer - thickness) return WHITE;
  const inRightLeg = x >= cx + outer - thickness && x <= cx + outer && y >= cy && y <= 0.47;
  const inLeftLeg = x >= cx - outer && x <= cx - outer + thickness && y >= cy && y <= 0.37;
  return inRightLeg || inLeftLeg ? WHITE : BLUE;
}

function render(size: number): Buffer {
  const ss = 4;
  const rowBytes = size * 4 + 1;
  const raw = Buffer.alloc(rowBytes * size);
  for (let py = 0; py < size; py++) {
    raw[py * rowBytes] = 0; // filter: none
    for (let px = 0; px < size; px++) {
      let r = 0,
        g = 0,
        b = 0,
        a = 0;
      for (let sy = 0; sy < ss; sy++)
        for (let sx = 0; sx < ss; sx++) {
          const c = shade((px + (sx + 0.5) / ss) / size, (py + (sy + 0.5) / ss) / size);
          // Premultiply so edges against transparency do not darken.
          r += c[0] * c[3];
          g += c[1] * c[3];
          b += c[2] * c[3];
          a += c[3];
        }
      const o = py * rowBytes + 1 + px * 4;
      raw[o] = a ? Math.round(r / a) : 0;
      raw[o + 1] = a ? Math.round(g / a) : 0;
      raw[o + 2] = a ? Math.round(b / a) : 0;
      raw[o + 3] = Math.round(a / (ss * ss));
    }
  }
  return encodePng(size, size, raw);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function encodePng(width: number, height: number, raw: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const outDir = path.join(import.meta.dirname, '..', 'public', 'icon');
mkdirSync(outDir, { recursive: true });
for (const size of [16, 32, 48, 128]) {
  writeFileSync(path.join(outDir, `${size}.png`), render(size));
  console.log(`public/icon/${size}.png`);
}
