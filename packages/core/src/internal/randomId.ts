/**
 * Random version-4 UUIDs for message ids, as `crypto.randomUUID()` makes them but built as one
 * flat string: Node's own assembles each from some twenty string pieces, and a fan-out of 10,000
 * agents makes 10,000 replies whose garbage (about 600 bytes each) drives extra young-generation
 * collections while every branch's fiber is alive. Entropy comes from `crypto.getRandomValues`,
 * drawn 256 ids at a time as Node does.
 */
const IDS_PER_DRAW = 256
const pool = new Uint8Array(16 * IDS_PER_DRAW)
let offset = pool.length

const HEX = Array.from("0123456789abcdef", (digit) => digit.charCodeAt(0))
const DASH = 45
/** The id's 36 character codes, rewritten for every id (the dashes never change). */
const codes: Array<number> = new Array<number>(36).fill(DASH)

/** A fresh random UUID (version 4, RFC 9562 variant), lowercase. */
export const randomId = (): string => {
  if (offset === pool.length) {
    crypto.getRandomValues(pool)
    offset = 0
  }
  let at = 0
  for (let i = 0; i < 16; i++) {
    let byte = pool[offset + i]!
    if (i === 6) byte = (byte & 0x0f) | 0x40 // version 4
    else if (i === 8) byte = (byte & 0x3f) | 0x80 // variant 10xx
    if (at === 8 || at === 13 || at === 18 || at === 23) at++
    codes[at++] = HEX[byte >> 4]!
    codes[at++] = HEX[byte & 0x0f]!
  }
  offset += 16
  return String.fromCharCode.apply(null, codes)
}
