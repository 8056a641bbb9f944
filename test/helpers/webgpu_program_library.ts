/**
 * What a program run on both devices (./webgpu_program.ts) may use: the engine, PPO (with the envs
 * registered), seeding; and
 * how its results become plain numbers (the same code in Node and in the page).
 */
import "../../src/envs/index.js";
import * as nn from "../../src/nn/index.js";
import * as ppo from "../../src/ppo/index.js";
import { npRandom } from "../../src/util/seeding.js";

/** Named results of a program: tensors (their values) or numbers. */
export type Results = Record<string, nn.Tensor | number>;

/** Every result's values as a plain array (read from the device where they live). */
async function valuesOf(results: Results): Promise<Record<string, number[]>> {
  const names = Object.keys(results);
  const tensors = names.filter((name) => typeof results[name] !== "number");
  const read = await nn.readTensors(tensors.map((name) => results[name] as nn.Tensor));
  const values: Record<string, number[]> = {};
  for (const name of names) {
    const value = results[name];
    values[name] = typeof value === "number" ? [value] : Array.from(read[tensors.indexOf(name)]);
  }
  return values;
}

export const programLibrary = { nn, ppo, npRandom, valuesOf };
