// Types for the parts of the `gifenc` package that src/io/gif.ts uses (it ships none).
declare module "gifenc" {
  type Palette = number[][];
  type Format = "rgb565" | "rgb444" | "rgba4444";
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
  export function GIFEncoder(opts?: { auto?: boolean; initialCapacity?: number }): GifStream;
  export function quantize(rgba: Uint8Array, maxColors: number, opts?: { format?: Format }): Palette;
  export function applyPalette(rgba: Uint8Array, palette: Palette, format?: Format): Uint8Array;
  /** The CommonJS build's exports object (what Node's ESM loader gives as the default). */
  const commonJsExports: {
    GIFEncoder: typeof GIFEncoder;
    quantize: typeof quantize;
    applyPalette: typeof applyPalette;
  };
  export default commonJsExports;
}
