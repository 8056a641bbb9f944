// What the convolution needs beyond the GEMM (its im2col and col2im run inside the GEMM's packing and
// stores, through offset tables the host builds once per shape).

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
