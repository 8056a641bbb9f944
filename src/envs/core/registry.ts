/**
 * The environment registry: `register(id, spec)` and `make(id, options)`, as Gymnasium's.
 * `make` builds the env, then wraps it in the checker and the registered TimeLimit.
 */
import { TimeLimit } from "../wrappers/time_limit.js";
import { EnvChecker } from "./checker.js";
import type { Env, EnvOptions, EnvSpec } from "./env.js";

export interface MakeOptions extends EnvOptions {
  /** Overrides the registered time limit; 0 or a negative number removes it. */
  maxEpisodeSteps?: number;
  /** Leaves out the order and action checks (they cost little; for benchmarks). */
  disableEnvChecker?: boolean;
  /** Anything else goes to the env's constructor. */
  [option: string]: unknown;
}

export type EnvFactory = (options: Record<string, unknown> & EnvOptions) => Env;

export interface RegisterSpec extends Omit<EnvSpec, "id"> {
  entryPoint: EnvFactory;
  /** One line for `ppo-ts envs` and the README. */
  description?: string;
}

const registry = new Map<string, RegisterSpec>();

export function register(id: string, spec: RegisterSpec): void {
  if (registry.has(id)) throw new Error(`register: "${id}" is already registered`);
  registry.set(id, spec);
}

/** Every registered id with its spec, in registration order. */
export function registeredEnvs(): [string, RegisterSpec][] {
  return [...registry.entries()];
}

export function envSpec(id: string): EnvSpec & { description?: string } {
  const spec = registry.get(id);
  if (!spec) throw new Error(unknownIdMessage(id));
  const { entryPoint: _entryPoint, ...rest } = spec;
  return { id, ...rest };
}

export function make<Obs = unknown, Act = unknown>(id: string, options: MakeOptions = {}): Env<Obs, Act> {
  const spec = registry.get(id);
  if (!spec) throw new Error(unknownIdMessage(id));
  const { renderMode, maxEpisodeSteps, disableEnvChecker, ...kwargs } = options;
  const env = spec.entryPoint({ ...spec.kwargs, ...kwargs, renderMode }) as Env<Obs, Act>;
  if (renderMode !== undefined && !env.metadata.renderModes.includes(renderMode)) {
    throw new Error(
      `${id}: renderMode "${renderMode}" is not supported; choose one of ${env.metadata.renderModes.join(", ") || "(none)"}`,
    );
  }
  const limit = maxEpisodeSteps ?? spec.maxEpisodeSteps;
  const fullSpec: EnvSpec = {
    id,
    maxEpisodeSteps: limit !== undefined && limit > 0 ? limit : undefined,
    rewardThreshold: spec.rewardThreshold,
    nondeterministic: spec.nondeterministic,
    kwargs: { ...spec.kwargs, ...kwargs },
  };
  env.spec = fullSpec;
  let wrapped: Env<Obs, Act> = env;
  if (!disableEnvChecker) wrapped = new EnvChecker(wrapped);
  if (fullSpec.maxEpisodeSteps !== undefined) wrapped = new TimeLimit(wrapped, fullSpec.maxEpisodeSteps);
  return wrapped;
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0];
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j];
      previous[j] = Math.min(
        previous[j] + 1,
        previous[j - 1] + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return previous[b.length];
}

function unknownIdMessage(id: string): string {
  const ids = [...registry.keys()];
  const lower = id.toLowerCase();
  const nearest = ids
    .map((candidate) => ({ candidate, distance: editDistance(lower, candidate.toLowerCase()) }))
    .filter(
      ({ candidate, distance }) =>
        distance <= Math.max(3, id.length / 3) || candidate.toLowerCase().startsWith(lower.split("-v")[0]),
    )
    .sort((a, b) => a.distance - b.distance)
    .slice(0, 3)
    .map(({ candidate }) => candidate);
  const hint = nearest.length > 0 ? ` Did you mean ${nearest.map((c) => `"${c}"`).join(", ")}?` : "";
  return `No registered environment "${id}".${hint} Run \`ppo-ts envs\` to list them.`;
}
