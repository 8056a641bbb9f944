// What the convolution needs beyond the GEMM. Its im2col runs inside the GEMM's packing, through
// offset tables the host builds once per shape; col2im runs here, over a column buffer in the
// calling thread's scratch.
import { gemm } from "./gemm";
import {
  convInputGradGradInput, convInputGradHeight, convInputGradImages, convInputGradInChannels,
  convInputGradKernelH, convInputGradKernelW, convInputGradOutH, convInputGradOutW, convInputGradStride,
  convInputGradWidth, SCRATCH_COLUMNS, setConvInputGradCAddress,
} from "./layout.generated";

/**
 * dInput += col2im(W^T dOut) for a chunk of images: the GEMM writes the chunk's columns (patch x
 * images*positions) into this thread's scratch, then each column adds onto its window of the input.
 * The task's descriptor (TASKS.convInputGrad in src/nn/kernels/layout.ts) is the GEMM's, but for C's
 * address, then the geometry of the chunk.
 */
export function convInputGrad(d: usize, scratch: usize): void {
  const columns = scratch + SCRATCH_COLUMNS;
  setConvInputGradCAddress(d, <i32>columns);
  gemm(d, scratch);
  col2im(d, columns);
}

function col2im(d: usize, columns: usize): void {
  const images = convInputGradImages(d), gradInput = <usize>convInputGradGradInput(d);
  const inChannels = convInputGradInChannels(d);
  const height = convInputGradHeight(d), width = convInputGradWidth(d);
  const kernelH = convInputGradKernelH(d), kernelW = convInputGradKernelW(d);
  const outH = convInputGradOutH(d), outW = convInputGradOutW(d);
  const stride = convInputGradStride(d);
  const positions = outH * outW;
  const rowLength = <usize>(images * positions) << 2;
  const imageBytes = <usize>(inChannels * height * width) << 2;
  const step = <usize>stride << 2;
  for (let b = 0; b < images; b++) {
    const image = gradInput + <usize>b * imageBytes;
    const chunk = columns + (<usize>(b * positions) << 2);
    for (let c = 0; c < inChannels; c++) {
      for (let ky = 0; ky < kernelH; ky++) {
        // Rows (c, ky, kx) of the columns: output position (oy, ox) adds onto input
        // (c, oy * stride + ky, ox * stride + kx).
        const rows = chunk + <usize>((c * kernelH + ky) * kernelW) * rowLength;
        let kx = 0;
        if (stride == 2) {
          // Rows kx and kx + 1 interleaved are consecutive inputs: whole vectors.
          for (; kx + 2 <= kernelW; kx += 2) {
            let from = rows + <usize>kx * rowLength;
            for (let oy = 0; oy < outH; oy++) {
              let to = image + (<usize>((c * height + oy * 2 + ky) * width + kx) << 2);
              let ox = 0;
              for (; ox + 4 <= outW; ox += 4) {
                const even = v128.load(from);
                const odd = v128.load(from + rowLength);
                v128.store(to, f32x4.add(v128.load(to), v128.shuffle<f32>(even, odd, 0, 4, 1, 5)));
                v128.store(to, f32x4.add(v128.load(to, 16), v128.shuffle<f32>(even, odd, 2, 6, 3, 7)), 16);
                from += 16;
                to += 32;
              }
              for (; ox < outW; ox++) {
                store<f32>(to, load<f32>(to) + load<f32>(from));
                store<f32>(to, load<f32>(to, 4) + load<f32>(from + rowLength), 4);
                from += 4;
                to += 8;
              }
            }
          }
        }
        for (; kx < kernelW; kx++) {
          let from = rows + <usize>kx * rowLength;
          for (let oy = 0; oy < outH; oy++) {
            let to = image + (<usize>((c * height + oy * stride + ky) * width + kx) << 2);
            let ox = 0;
            if (stride == 1) {
              for (; ox + 4 <= outW; ox += 4) {
                v128.store(to, f32x4.add(v128.load(to), v128.load(from)));
                to += 16;
                from += 16;
              }
            }
            for (; ox < outW; ox++) {
              store<f32>(to, load<f32>(to) + load<f32>(from));
              to += step;
              from += 4;
            }
          }
        }
      }
    }
  }
}

/** gradBias[o] += sum over images and positions of gradOutput (batch, channels, positions). */
export function biasGrad(gradOutput: usize, gradBias: usize, batch: i32, channels: i32, positions: i32): void {
  for (let o = 0; o < channels; o++) {
    let sums = f32x4.splat(0);
    let sum: f32 = 0;
    for (let b = 0; b < batch; b++) {
      const row = gradOutput + (<usize>((b * channels + o) * positions) << 2);
      let p = 0;
      for (; p + 4 <= positions; p += 4) sums = f32x4.add(sums, v128.load(row + (<usize>p << 2)));
      for (; p < positions; p++) sum += load<f32>(row + (<usize>p << 2));
    }
    sum += f32x4.extract_lane(sums, 0) + f32x4.extract_lane(sums, 1) + f32x4.extract_lane(sums, 2) + f32x4.extract_lane(sums, 3);
    const at = gradBias + (<usize>o << 2);
    store<f32>(at, load<f32>(at) + sum);
  }
}

/** out[i] += partials[0][i] + partials[1][i] + ... (count partials of n floats, n apart), in that order. */
export function addPartials(partials: usize, count: i32, n: i32, out: usize): void {
  const stride = <usize>n << 2;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    let sum = v128.load(partials + o);
    for (let c = 1; c < count; c++) sum = f32x4.add(sum, v128.load(partials + <usize>c * stride + o));
    v128.store(out + o, f32x4.add(v128.load(out + o), sum));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let sum = load<f32>(partials + o);
    for (let c = 1; c < count; c++) sum += load<f32>(partials + <usize>c * stride + o);
    store<f32>(out + o, load<f32>(out + o) + sum);
  }
}
