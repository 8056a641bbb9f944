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
