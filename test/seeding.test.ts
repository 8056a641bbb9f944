import { describe, expect, it } from "vitest";
import { npRandom, PCG64, SeedSequence } from "../src/util/seeding.js";
import { hasShared, readSharedJson } from "./helpers/shared.js";

const REFERENCE = "gym-traces/rng_reference.json";
// biome-ignore lint/suspicious/noExplicitAny: JSON fixture
const reference = hasShared(REFERENCE) ? readSharedJson<any>(REFERENCE) : { seeds: {} };

describe.skipIf(!hasShared(REFERENCE))(
  hasShared(REFERENCE)
    ? "seeding matches NumPy's SeedSequence + PCG64"
    : `seeding (SKIPPED: no ../shared/${REFERENCE})`,
  () => {
    for (const [seed, ref] of Object.entries<Record<string, unknown>>(reference.seeds)) {
      it(`seed ${seed}`, () => {
        const seq = new SeedSequence(Number(seed));
        expect(Array.from(seq.generateState32(8))).toEqual(ref.seedsequence_generate_state_uint32x8);
        expect(seq.generateState64(4).map(String)).toEqual(ref.seedsequence_generate_state_uint64x4);
        const pcg = new PCG64(seq);
        expect(pcg.state.toString()).toBe(ref.pcg64_state);
        expect(pcg.increment.toString()).toBe(ref.pcg64_inc);
        const raws = Array.from({ length: 6 }, () => pcg.nextUint64().toString());
        expect(raws).toEqual(ref.random_raw_first6);
        const rng = npRandom(Number(seed));
        expect(Array.from(rng.uniformArray(-0.05, 0.05, 4))).toEqual(ref.uniform_minus005_005_size4);
      });
    }
  },
);

describe("seeds", () => {
  it("rejects a negative or fractional seed", () => {
    expect(() => npRandom(-1)).toThrow(/non-negative integer/);
    expect(() => npRandom(1.5)).toThrow(/non-negative integer/);
  });
});
