// Types for the parts of the `gifenc` package that src/io/gif.ts uses (it ships none).
declare module "gifenc" {
  type Palette = number[][];
  interface GifStream {
    writeFrame(
      index: Uint8Array,
      width: number,
      height: number,
      opts?: { palette?: Palette; delay?: number; repeat?: number; first?: boolean },
    ): void;
    finish(): void;
    bytes(): Uint8Array;
  }
  const gifenc: {
    GIFEncoder(opts?: { auto?: boolean; initialCapacity?: number }): GifStream;
    quantize(
      rgba: Uint8Array,
      maxColors: number,
      opts?: { format?: "rgb565" | "rgb444" | "rgba4444" },
    ): Palette;
    applyPalette(rgba: Uint8Array, palette: Palette, format?: "rgb565" | "rgb444" | "rgba4444"): Uint8Array;
  };
  export default gifenc;
}
