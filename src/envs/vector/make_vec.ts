import type { Env } from "../core/env.js";
import { type MakeOptions, make } from "../core/registry.js";
import { AsyncVectorEnv } from "./async_vector_env.js";
import { SyncVectorEnv } from "./sync_vector_env.js";
import { checkCount, type VectorEnv, type VectorEnvOptions } from "./vector_env.js";

export interface MakeVecOptions extends MakeOptions, VectorEnvOptions {
  /** "sync" steps the envs in this thread (best for cheap envs); "async" in worker threads (Node). */
  mode?: "sync" | "async";
  /** Sync mode: wraps each env after `make` (e.g. RecordEpisodeStatistics); env i is passed its index. */
  wrappers?: (env: Env, index: number) => Env;
  /** Async mode: worker threads (default one per core). */
  numWorkers?: number;
  /** Async mode: modules each worker imports first (your `register` calls). */
  imports?: (string | URL)[];
}

/** `numEnvs` copies of the registered env `id` (each as `make(id, options)`) in a vector env. */
export function makeVec(id: string, numEnvs: number, options: MakeVecOptions = {}): VectorEnv {
  const { mode = "sync", autoresetMode, copy, wrappers, numWorkers, imports, ...makeOptions } = options;
  checkCount("makeVec", "numEnvs", numEnvs);
  if (mode === "sync") {
    if (imports !== undefined)
      throw new Error(`makeVec: "imports" is for mode "async"; in sync mode import the modules yourself`);
    const envFns = Array.from({ length: numEnvs }, (_, i) => () => {
      const env = make(id, makeOptions);
      return wrappers ? wrappers(env, i) : env;
    });
    return new SyncVectorEnv(envFns, { autoresetMode, copy });
  }
  if (mode === "async") {
    if (wrappers !== undefined) {
      throw new Error(
        `makeVec: "wrappers" cannot cross to worker threads; register an id whose entry point wraps the env, in a module listed in "imports"`,
      );
    }
    return new AsyncVectorEnv(id, numEnvs, { autoresetMode, copy, numWorkers, imports, makeOptions });
  }
  throw new RangeError(`makeVec: mode must be "sync" or "async", got ${JSON.stringify(mode)}`);
}
