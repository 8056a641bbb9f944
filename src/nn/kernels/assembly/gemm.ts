// The GEMM at the heart of every kernel: C = op(A) op(B) (+ C) (+ bias), blocked for the caches as in
// Goto and van de Geijn's "Anatomy of high-performance matrix multiplication" (BLIS's loop order).
//
// Operands are described in memory (a mode, STRIDED or TABLE, an address and two indexings) rather
// than by a transposition flag, so the same driver serves plain matrices in either layout and the
// implicit matrices of a convolution: the im2col matrix of an image batch is never written out, its
// blocks are packed straight from the images through tables of element offsets, and a convolution's
// output is stored through such tables.
//
// The descriptor, the blocking (MR x NR register tile, MC x KC and KC x NC packed blocks) and a
// thread's scratch (packed A, packed B, a tile, then a convolution's column buffer) are described in
// src/nn/kernels/layout.ts, from which layout.generated.ts comes.
import {
  gemmAAddress, gemmAColIndex, gemmAMode, gemmARowIndex, gemmAccumulate, gemmBAddress, gemmBColIndex,
  gemmBMode, gemmBRowIndex, gemmCAddress, gemmCColIndex, gemmCMode, gemmCRowIndex, gemmColBias, gemmK,
  gemmM, gemmN, gemmRowBias, KC, MC, MR, NC, NR, SCRATCH_PACKED_A, SCRATCH_PACKED_B, SCRATCH_TILE,
  STRIDED, TABLE,
} from "./layout.generated";

@inline function element(base: usize, mode: i32, p1: i32, p2: i32, r: i32, q: i32): f32 {
  if (mode == STRIDED) return load<f32>(base + ((<usize>(r * p1 + q * p2)) << 2));
  return load<f32>(base + ((<usize>(load<i32>(<usize>p1 + (<usize>r << 2)) + load<i32>(<usize>p2 + (<usize>q << 2)))) << 2));
}

/** Whether the four i32 offsets at `at` are consecutive (a vector of 4 floats can be moved at once). */
@inline function runOf4(at: usize): bool {
  const first = load<i32>(at);
  return load<i32>(at, 4) == first + 1 && load<i32>(at, 8) == first + 2 && load<i32>(at, 12) == first + 3;
}

@inline function tableAddress(base: usize, rowOffsets: usize, r: i32, colOffsets: usize, q: i32): usize {
  return base + (<usize>(load<i32>(rowOffsets + (<usize>r << 2)) + load<i32>(colOffsets + (<usize>q << 2))) << 2);
}

@inline function transpose4(
  dst: usize, step: usize, r0: v128, r1: v128, r2: v128, r3: v128,
): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst + step, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * step, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * step, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/** Packs the mc x kc block of A at (i0, p0) as MR-row panels, each kc steps of MR values, zero-padded. */
function packA(dst: usize, d: usize, i0: i32, p0: i32, mc: i32, kc: i32): void {
  const mode = gemmAMode(d);
  const base = <usize>gemmAAddress(d);
  const p1 = gemmARowIndex(d);
  const p2 = gemmAColIndex(d);
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const panel = dst + (<usize>(ir * kc) << 2);
    const i = i0 + ir;
    if (rows == MR && mode == STRIDED && p1 == 1) {
      // A stored with rows contiguous along i (transposed A): one vector per step.
      let src = base + (<usize>(i + p0 * p2) << 2);
      const stride = <usize>p2 << 2;
      for (let p = 0; p < kc; p++) {
        v128.store(panel + (<usize>p << 4), v128.load(src));
        src += stride;
      }
    } else if (rows == MR && mode == STRIDED && p2 == 1) {
      // Rows contiguous along p: transpose 4 x 4 blocks.
      const stride = <usize>p1 << 2;
      const src = base + (<usize>(i * p1 + p0) << 2);
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const s = src + (<usize>p << 2);
        transpose4(panel + (<usize>p << 4), 16, v128.load(s), v128.load(s + stride), v128.load(s + 2 * stride), v128.load(s + 3 * stride));
      }
      for (; p < kc; p++) {
        const s = src + (<usize>p << 2);
        const o = panel + (<usize>p << 4);
        store<f32>(o, load<f32>(s));
        store<f32>(o, load<f32>(s + stride), 4);
        store<f32>(o, load<f32>(s + 2 * stride), 8);
        store<f32>(o, load<f32>(s + 3 * stride), 12);
      }
    } else if (rows == MR && mode == TABLE) {
      // Implicit matrix (a convolution's output gradient): four steps at once where the column
      // offsets run consecutively (within one image), else one element at a time.
      const ro = <usize>p1;
      const co = <usize>p2;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const o = panel + (<usize>p << 4);
        if (runOf4(co + (<usize>(p0 + p) << 2))) {
          transpose4(o, 16,
            v128.load(tableAddress(base, ro, i, co, p0 + p)), v128.load(tableAddress(base, ro, i + 1, co, p0 + p)),
            v128.load(tableAddress(base, ro, i + 2, co, p0 + p)), v128.load(tableAddress(base, ro, i + 3, co, p0 + p)));
        } else {
          for (let q = 0; q < 4; q++) {
            for (let r = 0; r < MR; r++) {
              store<f32>(o + (<usize>(q * MR + r) << 2), load<f32>(tableAddress(base, ro, i + r, co, p0 + p + q)));
            }
          }
        }
      }
      for (; p < kc; p++) {
        const o = panel + (<usize>(p * MR) << 2);
        for (let r = 0; r < MR; r++) store<f32>(o + (<usize>r << 2), load<f32>(tableAddress(base, ro, i + r, co, p0 + p)));
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const o = panel + (<usize>(p * MR) << 2);
        for (let r = 0; r < MR; r++) {
          store<f32>(o + (<usize>r << 2), r < rows ? element(base, mode, p1, p2, i + r, p0 + p) : 0);
        }
      }
    }
  }
}

/** Packs the kc x nc block of B at (p0, j0) as NR-column panels, each kc steps of NR values, zero-padded. */
function packB(dst: usize, d: usize, p0: i32, j0: i32, kc: i32, nc: i32): void {
  const mode = gemmBMode(d);
  const base = <usize>gemmBAddress(d);
  const p1 = gemmBRowIndex(d);
  const p2 = gemmBColIndex(d);
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const panel = dst + (<usize>(jr * kc) << 2);
    const j = j0 + jr;
    if (cols == NR && mode == STRIDED && p2 == 1) {
      // Rows of B contiguous along j: two vectors per step.
      let src = base + (<usize>(p0 * p1 + j) << 2);
      const stride = <usize>p1 << 2;
      for (let p = 0; p < kc; p++) {
        const o = panel + (<usize>p << 5);
        v128.store(o, v128.load(src));
        v128.store(o, v128.load(src, 16), 16);
        src += stride;
      }
    } else if (cols == NR && mode == STRIDED && p1 == 1) {
      // B stored transposed (columns contiguous along p): transpose two 4 x 4 blocks per 4 steps.
      const stride = <usize>p2 << 2;
      const src = base + (<usize>(j * p2 + p0) << 2);
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const s = src + (<usize>p << 2);
        const o = panel + (<usize>p << 5);
        transpose4(o, 32, v128.load(s), v128.load(s + stride), v128.load(s + 2 * stride), v128.load(s + 3 * stride));
        const s4 = s + 4 * stride;
        transpose4(o + 16, 32, v128.load(s4), v128.load(s4 + stride), v128.load(s4 + 2 * stride), v128.load(s4 + 3 * stride));
      }
      for (; p < kc; p++) {
        const s = src + (<usize>p << 2);
        const o = panel + (<usize>p << 5);
        for (let c = 0; c < NR; c++) store<f32>(o + (<usize>c << 2), load<f32>(s + <usize>c * stride));
      }
    } else if (cols == NR && mode == TABLE) {
      // Implicit matrix (im2col of an image batch, or an output gradient). Where each half of the
      // eight column offsets is consecutive, a step is two vector loads; else where the row offsets
      // run in fours (kernel rows of width 4 or 8), four steps are eight vector loads and two
      // transposes; else a gather of eight elements per step.
      const co = <usize>p2 + (<usize>j << 2);
      const c0 = load<i32>(co), c1 = load<i32>(co, 4), c2 = load<i32>(co, 8), c3 = load<i32>(co, 12);
      const c4 = load<i32>(co, 16), c5 = load<i32>(co, 20), c6 = load<i32>(co, 24), c7 = load<i32>(co, 28);
      const ro = <usize>p1 + (<usize>p0 << 2);
      if (runOf4(co) && runOf4(co + 16)) {
        for (let p = 0; p < kc; p++) {
          const s = base + (<usize>load<i32>(ro + (<usize>p << 2)) << 2);
          const o = panel + (<usize>p << 5);
          v128.store(o, v128.load(s + (<usize>c0 << 2)));
          v128.store(o, v128.load(s + (<usize>c4 << 2)), 16);
        }
      } else {
        let p = 0;
        for (; p < kc; p++) {
          const at = ro + (<usize>p << 2);
          const o = panel + (<usize>p << 5);
          if ((p & 3) == 0 && p + 4 <= kc && runOf4(at)) {
            const s = base + (<usize>load<i32>(at) << 2);
            transpose4(o, 32, v128.load(s + (<usize>c0 << 2)), v128.load(s + (<usize>c1 << 2)),
              v128.load(s + (<usize>c2 << 2)), v128.load(s + (<usize>c3 << 2)));
            transpose4(o + 16, 32, v128.load(s + (<usize>c4 << 2)), v128.load(s + (<usize>c5 << 2)),
              v128.load(s + (<usize>c6 << 2)), v128.load(s + (<usize>c7 << 2)));
            p += 3;
            continue;
          }
          const s = base + (<usize>load<i32>(at) << 2);
          store<f32>(o, load<f32>(s + (<usize>c0 << 2)));
          store<f32>(o, load<f32>(s + (<usize>c1 << 2)), 4);
          store<f32>(o, load<f32>(s + (<usize>c2 << 2)), 8);
          store<f32>(o, load<f32>(s + (<usize>c3 << 2)), 12);
          store<f32>(o, load<f32>(s + (<usize>c4 << 2)), 16);
          store<f32>(o, load<f32>(s + (<usize>c5 << 2)), 20);
          store<f32>(o, load<f32>(s + (<usize>c6 << 2)), 24);
          store<f32>(o, load<f32>(s + (<usize>c7 << 2)), 28);
        }
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const o = panel + (<usize>(p * NR) << 2);
        for (let c = 0; c < NR; c++) {
          store<f32>(o + (<usize>c << 2), c < cols ? element(base, mode, p1, p2, p0 + p, j + c) : 0);
        }
      }
    }
  }
}

/** acc + a * b, fused (one rounding) where the engine has relaxed SIMD's multiply-add. */
@inline function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/**
 * The MR x NR register tile: C[0..4, 0..8] (= or +=) sum_p a[p, :]^T b[p, :] + bias, with C rows
 * `ldc` bytes apart. Twelve vector registers live across the loop (8 sums, 2 of B, 1 of A).
 */
function microkernel(
  kc: i32, a: usize, b: usize, c: usize, ldc: usize, accumulate: bool, rowBias: usize, colBias: usize,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(a, 4);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(a, 8);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(a, 12);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    a += 16;
    b += 32;
  }
  // The bias after the products, as storeTile adds it to edge tiles: every element of C is then
  // rounded the same way wherever the tiles (and the threads' tasks) fall.
  if (rowBias != 0) {
    let bias = v128.load32_splat(rowBias);
    c00 = f32x4.add(c00, bias); c01 = f32x4.add(c01, bias);
    bias = v128.load32_splat(rowBias, 4);
    c10 = f32x4.add(c10, bias); c11 = f32x4.add(c11, bias);
    bias = v128.load32_splat(rowBias, 8);
    c20 = f32x4.add(c20, bias); c21 = f32x4.add(c21, bias);
    bias = v128.load32_splat(rowBias, 12);
    c30 = f32x4.add(c30, bias); c31 = f32x4.add(c31, bias);
  }
  if (colBias != 0) {
    const b0 = v128.load(colBias), b1 = v128.load(colBias, 16);
    c00 = f32x4.add(c00, b0); c01 = f32x4.add(c01, b1);
    c10 = f32x4.add(c10, b0); c11 = f32x4.add(c11, b1);
    c20 = f32x4.add(c20, b0); c21 = f32x4.add(c21, b1);
    c30 = f32x4.add(c30, b0); c31 = f32x4.add(c31, b1);
  }
  if (accumulate) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c + ldc)); c11 = f32x4.add(c11, v128.load(c + ldc, 16));
    c20 = f32x4.add(c20, v128.load(c + 2 * ldc)); c21 = f32x4.add(c21, v128.load(c + 2 * ldc, 16));
    c30 = f32x4.add(c30, v128.load(c + 3 * ldc)); c31 = f32x4.add(c31, v128.load(c + 3 * ldc, 16));
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16);
}

/**
 * Writes the valid rows x cols of a tile computed into scratch (at the edges, and where C is given
 * through tables): adds the bias, then stores or adds into C. Full tiles through tables move vectors
 * where offsets run consecutively along a row (an output row of a convolution).
 */
function storeTile(
  tile: usize, d: usize, i: i32, j: i32, rows: i32, cols: i32, accumulate: bool, rowBias: usize, colBias: usize,
): void {
  const mode = gemmCMode(d);
  const base = <usize>gemmCAddress(d);
  const p1 = gemmCRowIndex(d);
  const p2 = gemmCColIndex(d);
  if (rowBias != 0) {
    for (let r = 0; r < rows; r++) {
      const b = load<f32>(rowBias + (<usize>r << 2));
      for (let c = 0; c < cols; c++) {
        const at = tile + (<usize>(r * NR + c) << 2);
        store<f32>(at, load<f32>(at) + b);
      }
    }
  }
  if (colBias != 0) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const at = tile + (<usize>(r * NR + c) << 2);
        store<f32>(at, load<f32>(at) + load<f32>(colBias + (<usize>c << 2)));
      }
    }
  }
  if (mode == TABLE && rows == MR && cols == NR) {
    const ro = <usize>p1 + (<usize>i << 2);
    const co = <usize>p2 + (<usize>j << 2);
    if (runOf4(co) && runOf4(co + 16)) {
      const c0 = load<i32>(co), c4 = load<i32>(co, 16);
      for (let r = 0; r < MR; r++) {
        const rowAddress = base + (<usize>load<i32>(ro + (<usize>r << 2)) << 2);
        const a0 = rowAddress + (<usize>c0 << 2);
        const a1 = rowAddress + (<usize>c4 << 2);
        let v0 = v128.load(tile + (<usize>(r * NR) << 2));
        let v1 = v128.load(tile + (<usize>(r * NR) << 2), 16);
        if (accumulate) {
          v0 = f32x4.add(v0, v128.load(a0));
          v1 = f32x4.add(v1, v128.load(a1));
        }
        v128.store(a0, v0);
        v128.store(a1, v1);
      }
      return;
    }
  }
  for (let r = 0; r < rows; r++) {
    let rowAddress: usize;
    if (mode == STRIDED) rowAddress = base + (<usize>((i + r) * p1 + j * p2) << 2);
    else rowAddress = base + (<usize>load<i32>(<usize>p1 + (<usize>(i + r) << 2)) << 2);
    for (let c = 0; c < cols; c++) {
      let v = load<f32>(tile + (<usize>(r * NR + c) << 2));
      let address: usize;
      if (mode == STRIDED) address = rowAddress + (<usize>(c * p2) << 2);
      else address = rowAddress + (<usize>load<i32>(<usize>p2 + (<usize>(j + c) << 2)) << 2);
      if (accumulate) v += load<f32>(address);
      store<f32>(address, v);
    }
  }
}

/**
 * Whether the full tile of C at (i, j), given through tables, is a plain strided block: its four
 * rows evenly spaced (forward, by a positive step) and its eight columns consecutive.
 */
@inline function tableTileInPlace(d: usize, i: i32, j: i32): bool {
  const ro = <usize>gemmCRowIndex(d) + (<usize>i << 2);
  const co = <usize>gemmCColIndex(d) + (<usize>j << 2);
  if (!runOf4(co) || !runOf4(co + 16) || load<i32>(co, 16) != load<i32>(co) + 4) return false;
  const r0 = load<i32>(ro);
  const step = load<i32>(ro, 4) - r0;
  return step > 0 && load<i32>(ro, 8) == r0 + 2 * step && load<i32>(ro, 12) == r0 + 3 * step;
}

/** Runs the GEMM described at `d` (TASKS.gemm in src/nn/kernels/layout.ts) with the calling thread's `scratch`. */
export function gemm(d: usize, scratch: usize): void {
  const m = gemmM(d);
  const n = gemmN(d);
  const k = gemmK(d);
  const accumulate = gemmAccumulate(d) != 0;
  const rowBias = <usize>gemmRowBias(d);
  const colBias = <usize>gemmColBias(d);
  const packedA = scratch + SCRATCH_PACKED_A;
  const packedB = scratch + SCRATCH_PACKED_B;
  const tile = scratch + SCRATCH_TILE;
  const cMode = gemmCMode(d);
  const c = <usize>gemmCAddress(d);
  const ldc = gemmCRowIndex(d);
  const cDirect = cMode == STRIDED && gemmCColIndex(d) == 1;
  if (k == 0) {
    // Nothing to multiply: C is the bias (or kept). storeTile adds the bias into the tile.
    for (let i = 0; i < m; i += MR) {
      for (let j = 0; j < n; j += NR) {
        memory.fill(tile, 0, <usize>(MR * NR) << 2);
        storeTile(tile, d, i, j, min(MR, m - i), min(NR, n - j), accumulate,
          rowBias != 0 ? rowBias + (<usize>i << 2) : 0, colBias != 0 ? colBias + (<usize>j << 2) : 0);
      }
    }
    return;
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const first = pc == 0;
      const acc = accumulate || !first;
      packB(packedB, d, pc, jc, kc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(packedA, d, ic, pc, mc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const j = jc + jr;
          const bPanel = packedB + (<usize>(jr * kc) << 2);
          const cb: usize = first && colBias != 0 ? colBias + (<usize>j << 2) : 0;
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const i = ic + ir;
            const aPanel = packedA + (<usize>(ir * kc) << 2);
            const rb: usize = first && rowBias != 0 ? rowBias + (<usize>i << 2) : 0;
            if (cDirect && rows == MR && cols == NR) {
              microkernel(kc, aPanel, bPanel, c + (<usize>(i * ldc + j) << 2), <usize>ldc << 2, acc, rb, cb);
            } else if (cMode == TABLE && rows == MR && cols == NR && tableTileInPlace(d, i, j)) {
              // Rows evenly spaced, columns consecutive (a convolution's output): straight into C.
              const ro = <usize>ldc + (<usize>i << 2);
              const at = c + (<usize>(load<i32>(ro) + load<i32>(<usize>gemmCColIndex(d) + (<usize>j << 2))) << 2);
              microkernel(kc, aPanel, bPanel, at, <usize>(load<i32>(ro, 4) - load<i32>(ro)) << 2, acc, rb, cb);
            } else {
              microkernel(kc, aPanel, bPanel, tile, <usize>NR << 2, false, 0, 0);
              storeTile(tile, d, i, j, rows, cols, acc, rb, cb);
            }
          }
        }
      }
    }
  }
}
