// Draws media/icon.png (128 × 128, the activity-bar glyph on a dark tile): the Marketplace wants a
// PNG icon, and no image tool is needed to rebuild it. Run: node scripts/icon.mjs
import { writeFileSync } from "node:fs"
import { deflateSync } from "node:zlib"

const SIZE = 128
const scale = SIZE / 24
const circles = [[5, 12], [19, 5], [19, 12], [19, 19]]
const lines = [[[7, 11], [17, 6]], [[7.2, 12], [16.8, 12]], [[7, 13], [17, 18]]]
const stroke = 1.6 / 2

const segmentDistance = ([x, y], [[ax, ay], [bx, by]]) => {
  const t = Math.max(0, Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)))
  return Math.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay)))
}

// Coverage of the glyph at a point (with a pixel of antialiasing).
const ink = (x, y) => {
  const d = Math.min(...circles.map(([cx, cy]) => Math.abs(Math.hypot(x - cx, y - cy) - 2.2)), ...lines.map((line) => segmentDistance([x, y], line)))
  return Math.max(0, Math.min(1, (stroke - d) * scale + 0.5))
}

const insideTile = (x, y) => {
  const r = 4
  const cx = Math.min(Math.max(x, r), 24 - r)
  const cy = Math.min(Math.max(y, r), 24 - r)
  return Math.max(0, Math.min(1, (r - Math.hypot(x - cx, y - cy)) * scale + 0.5))
}

const rows = []
for (let py = 0; py < SIZE; py++) {
  const row = [0]
  for (let px = 0; px < SIZE; px++) {
    const x = (px + 0.5) / scale
    const y = (py + 0.5) / scale
    const a = ink(x, y)
    const mix = (bg, fg) => Math.round(bg + (fg - bg) * a)
    row.push(mix(0x1f, 0x7f), mix(0x2a, 0xd4), mix(0x44, 0xff), Math.round(255 * insideTile(x, y)))
  }
  rows.push(Buffer.from(row))
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc = (buffer) => {
  let c = 0xffffffff
  for (const byte of buffer) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
const chunk = (type, data) => {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, "ascii"), data])
  const sum = Buffer.alloc(4)
  sum.writeUInt32BE(crc(body))
  return Buffer.concat([length, body, sum])
}
const header = Buffer.alloc(13)
header.writeUInt32BE(SIZE, 0)
header.writeUInt32BE(SIZE, 4)
header.set([8, 6, 0, 0, 0], 8)
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", deflateSync(Buffer.concat(rows))), chunk("IEND", Buffer.alloc(0))])
writeFileSync(new URL("../media/icon.png", import.meta.url), png)
