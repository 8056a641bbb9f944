// OpenCV's INTER_AREA resize for uint8 images by a non-integer factor, compiled to WebAssembly by
// scripts/build-wasm.mjs (see ../resize.ts for the method and the tables). WebAssembly's float32
// arithmetic rounds every product and sum as OpenCV's float32 loops do, so the output is the same to
// the bit. Every argument is an address in the imported memory or a size; nothing here allocates.

/** The horizontal pass over one source row: rowSum[d * channels + c] = sum_k row[xSrc[k] + c] * xAlpha[k]. */
function sumRow(
  row: usize, channels: i32, dstWidth: i32, xStart: usize, xSrc: usize, xAlpha: usize, rowSum: usize,
): void {
  for (let d = 0; d < dstWidth; d++) {
    const first = load<i32>(xStart + (<usize>d << 2));
    const end = load<i32>(xStart + (<usize>(d + 1) << 2));
    if (channels == 3) {
      let red: f32 = 0;
      let green: f32 = 0;
      let blue: f32 = 0;
      for (let k = first; k < end; k++) {
        const pixel = row + <usize>load<i32>(xSrc + (<usize>k << 2));
        const weight = load<f32>(xAlpha + (<usize>k << 2));
        red += <f32>load<u8>(pixel) * weight;
        green += <f32>load<u8>(pixel, 1) * weight;
        blue += <f32>load<u8>(pixel, 2) * weight;
      }
      const o = rowSum + <usize>(d * 12);
      store<f32>(o, red);
      store<f32>(o, green, 4);
      store<f32>(o, blue, 8);
      continue;
    }
    for (let c = 0; c < channels; c++) {
      let sum: f32 = 0;
      for (let k = first; k < end; k++) {
        const pixel = <f32>load<u8>(row + <usize>(load<i32>(xSrc + (<usize>k << 2)) + c));
        sum += pixel * load<f32>(xAlpha + (<usize>k << 2));
      }
      store<f32>(rowSum + (<usize>(d * channels + c) << 2), sum);
    }
  }
}

/**
 * Resizes the srcHeight x srcRowBytes image at `src` into `out` (dstHeight rows of rowWidth =
 * dstWidth * channels bytes): each output row is the beta-weighted sum of the horizontal sums of the
 * source rows it covers (a row cut by a cell edge is summed once for both), rounded half to even.
 */
export function resizeArea(
  src: usize, srcRowBytes: i32, channels: i32, out: usize, dstHeight: i32, dstWidth: i32,
  xStart: usize, xSrc: usize, xAlpha: usize, yStart: usize, ySrc: usize, yAlpha: usize,
  rowSum: usize, columnSum: usize,
): void {
  const rowWidth = dstWidth * channels;
  let summedRow = -1;
  for (let dy = 0; dy < dstHeight; dy++) {
    const first = load<i32>(yStart + (<usize>dy << 2));
    const end = load<i32>(yStart + (<usize>(dy + 1) << 2));
    for (let j = first; j < end; j++) {
      const sy = load<i32>(ySrc + (<usize>j << 2));
      if (sy != summedRow) {
        summedRow = sy;
        sumRow(src + <usize>(sy * srcRowBytes), channels, dstWidth, xStart, xSrc, xAlpha, rowSum);
      }
      const beta = load<f32>(yAlpha + (<usize>j << 2));
      const betas = f32x4.splat(beta);
      let x = 0;
      if (j == first) {
        for (; x + 4 <= rowWidth; x += 4) {
          const o = <usize>x << 2;
          v128.store(columnSum + o, f32x4.mul(betas, v128.load(rowSum + o)));
        }
        for (; x < rowWidth; x++) {
          const o = <usize>x << 2;
          store<f32>(columnSum + o, beta * load<f32>(rowSum + o));
        }
      } else {
        for (; x + 4 <= rowWidth; x += 4) {
          const o = <usize>x << 2;
          v128.store(columnSum + o, f32x4.add(v128.load(columnSum + o), f32x4.mul(betas, v128.load(rowSum + o))));
        }
        for (; x < rowWidth; x++) {
          const o = <usize>x << 2;
          store<f32>(columnSum + o, load<f32>(columnSum + o) + beta * load<f32>(rowSum + o));
        }
      }
    }
    const outRow = out + <usize>(dy * rowWidth);
    for (let x = 0; x < rowWidth; x++) {
      // C's lrintf (round half to even), saturated to a byte.
      const value = nearest<f32>(load<f32>(columnSum + (<usize>x << 2)));
      store<u8>(outRow + <usize>x, <u8>min<i32>(max<i32>(<i32>value, 0), 255));
    }
  }
}
