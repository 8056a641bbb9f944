// Adam, PyTorch's formula, in place over n floats:
//   g += weightDecay p;  m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;
//   p -= stepSize m / (sqrt(v) / sqrtBiasCorrection2 + eps),  stepSize = lr / (1 - beta1^step).
//
// A task's descriptor: see TASKS.adam in src/nn/kernels/layout.ts.
import {
  adamBeta1, adamBeta2, adamCount, adamEps, adamGrad, adamM, adamOneMinusBeta1, adamOneMinusBeta2, adamParam,
  adamSqrtBiasCorrection2, adamStepSize, adamV, adamWeightDecay,
} from "./layout.generated";

/** Runs the Adam step described at `d`. */
export function adam(d: usize): void {
  const param = <usize>adamParam(d), grad = <usize>adamGrad(d);
  const m = <usize>adamM(d), v = <usize>adamV(d);
  const n = adamCount(d);
  const beta1 = adamBeta1(d), oneMinusBeta1 = adamOneMinusBeta1(d);
  const beta2 = adamBeta2(d), oneMinusBeta2 = adamOneMinusBeta2(d);
  const eps = adamEps(d), weightDecay = adamWeightDecay(d);
  const stepSize = adamStepSize(d), sqrtBiasCorrection2 = adamSqrtBiasCorrection2(d);
  // 1 - beta comes from the host, rounded once from double: 1 - f32(0.999) would be off by 1e-5.
  const b1 = f32x4.splat(beta1), c1 = f32x4.splat(oneMinusBeta1);
  const b2 = f32x4.splat(beta2), c2 = f32x4.splat(oneMinusBeta2);
  const e = f32x4.splat(eps), wd = f32x4.splat(weightDecay);
  const s = f32x4.splat(stepSize), bc2 = f32x4.splat(sqrtBiasCorrection2);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const p = v128.load(param + o);
    let g = v128.load(grad + o);
    if (weightDecay != 0) g = f32x4.add(g, f32x4.mul(wd, p));
    const mi = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(c1, g));
    const vi = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(f32x4.mul(c2, g), g));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    const denominator = f32x4.add(f32x4.div(f32x4.sqrt(vi), bc2), e);
    v128.store(param + o, f32x4.sub(p, f32x4.div(f32x4.mul(s, mi), denominator)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(param + o);
    let g = load<f32>(grad + o);
    if (weightDecay != 0) g += weightDecay * p;
    const mi = beta1 * load<f32>(m + o) + oneMinusBeta1 * g;
    const vi = beta2 * load<f32>(v + o) + oneMinusBeta2 * g * g;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(param + o, p - (stepSize * mi) / (Mathf.sqrt(vi) / sqrtBiasCorrection2 + eps));
  }
}
