// The elementwise work around the GEMMs (activations, bias gradients, gradient-norm clipping), where
// JavaScript's scalar loops would cost as much as the products themselves.

/** Past this, tanh is 1 to float32 precision (as tanhFloat32 in ops/elementwise.ts). */
const TANH_SATURATION: f64 = 10;

/** tanh of two doubles: ops/elementwise.ts's tanhFloat32, step for step (see `tanh`). */
@inline function tanhPair(x: v128): v128 {
  const limit = f64x2.splat(TANH_SATURATION);
  // pmin/pmax keep a NaN as Math.min/max do, in one instruction each.
  const v = f64x2.mul(f64x2.splat(0.5), f64x2.pmin(f64x2.pmax(x, f64x2.neg(limit)), limit));
  const s = f64x2.mul(v, v);
  const c0 = f64x2.splat(135135);
  const p = f64x2.add(c0, f64x2.mul(s, f64x2.add(f64x2.splat(17325), f64x2.mul(s, f64x2.add(f64x2.splat(378), s)))));
  const q = f64x2.add(c0, f64x2.mul(s, f64x2.add(f64x2.splat(62370),
    f64x2.mul(s, f64x2.add(f64x2.splat(3150), f64x2.mul(f64x2.splat(28), s))))));
  const numerator = f64x2.mul(f64x2.mul(f64x2.mul(f64x2.splat(2), v), p), q);
  const denominator = f64x2.add(f64x2.mul(q, q), f64x2.mul(f64x2.mul(s, p), p));
  return f64x2.div(numerator, denominator);
}

/**
 * y = tanh(x) over n floats, by the same [7/6] Pade approximant as ops/elementwise.ts's tanhFloat32
 * and in the same double-precision steps, so that both give the same float32 bit for bit.
 */
export function tanh(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const xi = v128.load(x + o);
    const low = f32x4.demote_f64x2_zero(tanhPair(f64x2.promote_low_f32x4(xi)));
    const high = f32x4.demote_f64x2_zero(tanhPair(f64x2.promote_low_f32x4(v128.shuffle<f32>(xi, xi, 2, 3, 2, 3))));
    v128.store(y + o, v128.shuffle<f32>(low, high, 0, 1, 4, 5));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = 0.5 * min(max(<f64>load<f32>(x + o), -TANH_SATURATION), TANH_SATURATION);
    const s = v * v;
    const p = 135135 + s * (17325 + s * (378 + s));
    const q = 135135 + s * (62370 + s * (3150 + 28 * s));
    store<f32>(y + o, <f32>((2 * v * p * q) / (q * q + s * p * p)));
  }
}

/** gx += g (1 - y^2) over n floats, y = tanh(x): tanh's gradient from its output. */
export function tanhBackward(y: usize, g: usize, gx: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const yi = v128.load(y + o);
    const slope = f32x4.sub(one, f32x4.mul(yi, yi));
    v128.store(gx + o, f32x4.add(v128.load(gx + o), f32x4.mul(v128.load(g + o), slope)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const yi = load<f32>(y + o);
    store<f32>(gx + o, load<f32>(gx + o) + load<f32>(g + o) * (1 - yi * yi));
  }
}

/** y = max(x, 0) over n floats (NaN stays NaN, as PyTorch's). */
export function relu(x: usize, y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.pmax(v128.load(x + o), zero));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const xi = load<f32>(x + o);
    store<f32>(y + o, xi < 0 ? 0 : xi);
  }
}

/** gx += g where y > 0 over n floats, y = relu(x) (so the gradient at 0 is 0, as PyTorch's). */
export function reluBackward(y: usize, g: usize, gx: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const passed = v128.and(v128.load(g + o), f32x4.gt(v128.load(y + o), zero));
    v128.store(gx + o, f32x4.add(v128.load(gx + o), passed));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    if (load<f32>(y + o) > 0) store<f32>(gx + o, load<f32>(gx + o) + load<f32>(g + o));
  }
}

/** out[j] += sum over r of x[r * cols + j]: the gradient of a bias added to every row. */
export function addColumnSums(x: usize, rows: i32, cols: i32, out: usize): void {
  // Four columns at a time down all rows keeps the sums in a register.
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    let sums = f32x4.splat(0);
    let at = x + (<usize>j << 2);
    const stride = <usize>cols << 2;
    for (let r = 0; r < rows; r++) {
      sums = f32x4.add(sums, v128.load(at));
      at += stride;
    }
    const o = out + (<usize>j << 2);
    v128.store(o, f32x4.add(v128.load(o), sums));
  }
  for (; j < cols; j++) {
    let sum: f32 = 0;
    for (let r = 0; r < rows; r++) sum += load<f32>(x + (<usize>(r * cols + j) << 2));
    const o = out + (<usize>j << 2);
    store<f32>(o, load<f32>(o) + sum);
  }
}

/** The sum of x^2 over n floats, in double precision (a norm over millions of gradients). */
export function sumOfSquares(x: usize, n: i32): f64 {
  let sums = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const low = f64x2.promote_low_f32x4(v);
    const high = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
    sums = f64x2.add(sums, f64x2.add(f64x2.mul(low, low), f64x2.mul(high, high)));
  }
  let sum = f64x2.extract_lane(sums, 0) + f64x2.extract_lane(sums, 1);
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    sum += v * v;
  }
  return sum;
}

/** x *= factor over n floats. */
export function scale(x: usize, n: i32, factor: f32): void {
  const f = f32x4.splat(factor);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.mul(v128.load(x + o), f));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) * factor);
  }
}
