// The elementwise work around the GEMMs (activations, bias gradients, gradient-norm clipping), where
// JavaScript's scalar loops would cost as much as the products themselves.

/** Past this, tanh is 1 to float32 precision (as tanhFloat32 in ../reference.ts). */
const TANH_SATURATION: f32 = 10;

/**
 * y = tanh(x) over n floats, by the same [7/6] Pade approximant as ../reference.ts's tanhFloat32
 * and in the same float32 steps, so that both give the same bits.
 */
export function tanh(x: usize, y: usize, n: i32): void {
  const limit = f32x4.splat(TANH_SATURATION), negativeLimit = f32x4.splat(-TANH_SATURATION);
  const half = f32x4.splat(0.5), two = f32x4.splat(2), c0 = f32x4.splat(135135);
  const p1 = f32x4.splat(17325), p2 = f32x4.splat(378);
  const q1 = f32x4.splat(62370), q2 = f32x4.splat(3150), q3 = f32x4.splat(28);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    // pmin/pmax keep a NaN as Math.min/max do, in one instruction each.
    const v = f32x4.mul(half, f32x4.pmin(f32x4.pmax(v128.load(x + o), negativeLimit), limit));
    const s = f32x4.mul(v, v);
    const p = f32x4.add(c0, f32x4.mul(s, f32x4.add(p1, f32x4.mul(s, f32x4.add(p2, s)))));
    const q = f32x4.add(c0, f32x4.mul(s, f32x4.add(q1, f32x4.mul(s, f32x4.add(q2, f32x4.mul(q3, s))))));
    const numerator = f32x4.mul(f32x4.mul(f32x4.mul(two, v), p), q);
    const denominator = f32x4.add(f32x4.mul(q, q), f32x4.mul(f32x4.mul(s, p), p));
    v128.store(y + o, f32x4.div(numerator, denominator));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v: f32 = 0.5 * min(max(load<f32>(x + o), -TANH_SATURATION), TANH_SATURATION);
    const s = v * v;
    const p: f32 = 135135 + s * (17325 + s * (378 + s));
    const q: f32 = 135135 + s * (62370 + s * (3150 + 28 * s));
    store<f32>(y + o, (2 * v * p * q) / (q * q + s * p * p));
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

/** x = 0 over n floats: a memset (where a typed array's fill on shared memory goes float by float). */
export function zero(x: usize, n: i32): void {
  memory.fill(x, 0, <usize>n << 2);
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
