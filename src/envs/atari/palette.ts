/**
 * ALE's NTSC palette: the TIA's 128 colours (hue in the high nibble, luminance in bits 1-3), indexed
 * by the even colour-register values 0-254 that the frame buffer holds.
 */
const NTSC_RGB = [
  0x000000, 0x4a4a4a, 0x6f6f6f, 0x8e8e8e, 0xaaaaaa, 0xc0c0c0, 0xd6d6d6, 0xececec, 0x484800, 0x69690f,
  0x86861d, 0xa2a22a, 0xbbbb35, 0xd2d240, 0xe8e84a, 0xfcfc54, 0x7c2c00, 0x904811, 0xa26221, 0xb47a30,
  0xc3903d, 0xd2a44a, 0xdfb755, 0xecc860, 0x901c00, 0xa33915, 0xb55328, 0xc66c3a, 0xd5824a, 0xe39759,
  0xf0aa67, 0xfcbc74, 0x940000, 0xa71a1a, 0xb83232, 0xc84848, 0xd65c5c, 0xe46f6f, 0xf08080, 0xfc9090,
  0x840064, 0x97197a, 0xa8308f, 0xb846a2, 0xc659b3, 0xd46cc3, 0xe07cd2, 0xec8ce0, 0x500084, 0x68199a,
  0x7d30ad, 0x9246c0, 0xa459d0, 0xb56ce0, 0xc57cee, 0xd48cfc, 0x140090, 0x331aa3, 0x4e32b5, 0x6848c6,
  0x7f5cd5, 0x956fe3, 0xa980f0, 0xbc90fc, 0x000094, 0x181aa7, 0x2d32b8, 0x4248c8, 0x545cd6, 0x656fe4,
  0x7580f0, 0x8490fc, 0x001c88, 0x183b9d, 0x2d57b0, 0x4272c2, 0x548ad2, 0x65a0e1, 0x75b5ef, 0x84c8fc,
  0x003064, 0x185080, 0x2d6d98, 0x4288b0, 0x54a0c5, 0x65b7d9, 0x75cceb, 0x84e0fc, 0x004030, 0x18624e,
  0x2d8169, 0x429e82, 0x54b899, 0x65d1ae, 0x75e7c2, 0x84fcd4, 0x004400, 0x1a661a, 0x328432, 0x48a048,
  0x5cba5c, 0x6fd26f, 0x80e880, 0x90fc90, 0x143c00, 0x355f18, 0x527e2d, 0x6e9c42, 0x87b754, 0x9ed065,
  0xb4e775, 0xc8fc84, 0x303800, 0x505916, 0x6d762b, 0x88923e, 0xa0ab4f, 0xb7c25f, 0xccd86e, 0xe0ec7c,
  0x482c00, 0x694d14, 0x866a26, 0xa28638, 0xbb9f47, 0xd2b656, 0xe8cc63, 0xfce070,
];

/** Red, green and blue of each frame-buffer value (odd values: the colour below them). */
export const PALETTE_RGB = new Uint8Array(256 * 3);
/**
 * Grayscale of each frame-buffer value: round(0.2989 R + 0.5870 G + 0.1140 B). ALE keeps the grays in
 * its palette's odd slots and looks up value + 1, so an odd value (only an interrupted frame's dimmed
 * pixels have them) reads the blue byte of the next colour; this table reproduces that.
 */
export const PALETTE_GRAY = new Uint8Array(256);

for (let value = 0; value < 256; value++) {
  const rgb = NTSC_RGB[value >> 1];
  const r = (rgb >> 16) & 0xff;
  const g = (rgb >> 8) & 0xff;
  const b = rgb & 0xff;
  PALETTE_RGB.set([r, g, b], value * 3);
  if (value % 2 === 0) {
    PALETTE_GRAY[value] = Math.round(r * 0.2989 + g * 0.587 + b * 0.114);
  } else {
    PALETTE_GRAY[value] = value < 255 ? NTSC_RGB[(value + 1) >> 1] & 0xff : 0;
  }
}

/**
 * Grayscale of two adjacent frame-buffer bytes at once, indexed by them read as one little-endian
 * 16-bit word (halves the table lookups of a screen conversion).
 */
export const PALETTE_GRAY_PAIRS = new Uint16Array(65536);
for (let pair = 0; pair < 65536; pair++) {
  PALETTE_GRAY_PAIRS[pair] = PALETTE_GRAY[pair & 0xff] | (PALETTE_GRAY[pair >> 8] << 8);
}

/** Red, green and blue of each frame-buffer value as one little-endian word (red in the low byte). */
export const PALETTE_RGB_WORDS = new Uint32Array(256);
for (let value = 0; value < 256; value++) {
  const k = value * 3;
  PALETTE_RGB_WORDS[value] = PALETTE_RGB[k] | (PALETTE_RGB[k + 1] << 8) | (PALETTE_RGB[k + 2] << 16);
}
