/**
 * Evaluation: run a trained policy for whole episodes in one env and report the returns. The
 * observations are normalized with the statistics saved at training time (frozen), actions are the
 * most likely ones (`deterministic`) or sampled, and continuous actions are clipped to the space.
 *
 * Where the env records its episodes (RecordEpisodeStatistics inside, as in CleanRL's Atari stack),
 * an episode is what that wrapper reports, as CleanRL's evaluation counts them: the whole game and
 * its real score, although the wrappers above end an "episode" at every lost life and clip rewards.
 */
import { type Env, type RgbFrame, Wrapper } from "../envs/core/env.js";
import { make } from "../envs/core/registry.js";
import { Box } from "../envs/core/spaces.js";
import {
  type EpisodeStatistics,
  RecordEpisodeStatistics,
} from "../envs/wrappers/record_episode_statistics.js";
import { RunningMeanStd, type RunningMeanStdState } from "../envs/wrappers/running_mean_std.js";
import type { Rng } from "../util/seeding.js";
import type { ActorCritic } from "./policy.js";
import { CountingRng } from "./serialize.js";
import type { PPOTrainer } from "./trainer.js";

export interface EvaluateOptions {
  envId: string;
  envKwargs?: Record<string, unknown>;
  episodes: number;
  deterministic: boolean;
  /** Episode k is reset with `seed + k`. */
  seed: number;
  /** Frozen observation statistics and clip (when the run normalized observations). */
  obsStatistics?: RunningMeanStdState | null;
  clipObservation?: number;
  /** Called with every frame (the env renders `rgb_array`) and its frame rate, when given. */
  onFrame?: (frame: RgbFrame, episode: number, renderFps: number) => void | Promise<void>;
  /** The first episodes `onFrame` gets frames of (default all); later ones are not rendered. */
  renderEpisodes?: number;
  /** Called after every episode. */
  onEpisode?: (episode: number, episodeReturn: number, length: number) => void;
  /** Stops early when it returns true (e.g. Ctrl-C in `ppo-ts play`). */
  shouldStop?: () => boolean;
}

export interface EvaluateResult {
  returns: number[];
  lengths: number[];
  meanReturn: number;
  stdReturn: number;
}

/** mean and population std (as NumPy's `np.std`, which CleanRL's eval reports). */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  return { mean, std: Math.sqrt(variance) };
}

export async function evaluatePolicy(policy: ActorCritic, options: EvaluateOptions): Promise<EvaluateResult> {
  const env: Env = make(options.envId, {
    ...options.envKwargs,
    renderMode: options.onFrame ? "rgb_array" : undefined,
  });
  const size = policy.obsSize;
  const obs =
    env.observationSpace instanceof Box && env.observationSpace.dtype === "uint8"
      ? new Uint8Array(size)
      : new Float32Array(size);
  const action = new Float32Array(policy.actionWidth);
  const envAction = new Float32Array(policy.actionWidth);
  const logProb = new Float32Array(1);
  const value = new Float32Array(1);
  const rng: Rng | null = options.deterministic ? null : new CountingRng(options.seed);
  const obsRms = options.obsStatistics ? RunningMeanStd.fromState(options.obsStatistics) : null;
  const clip = options.clipObservation ?? Number.POSITIVE_INFINITY;
  const actionSpace = env.actionSpace;
  const renderEpisodes = options.renderEpisodes ?? options.episodes;
  // Statistics are only kept for float observations.
  const write = (raw: unknown) => {
    if (obsRms === null) obs.set(raw as ArrayLike<number>);
    else obsRms.normalize(raw as ArrayLike<number>, obs as Float32Array, 1, clip);
  };

  const recordsEpisodes = wrapsRecordEpisodeStatistics(env);
  const returns: number[] = [];
  const lengths: number[] = [];
  try {
    for (let episode = 0; episode < options.episodes; episode++) {
      if (options.shouldStop?.()) break;
      const [first] = env.reset({ seed: options.seed + episode });
      write(first);
      let episodeReturn = 0;
      let length = 0;
      for (;;) {
        if (options.onFrame && episode < renderEpisodes)
          await options.onFrame(env.render() as RgbFrame, episode, env.metadata.renderFps);
        if (options.shouldStop?.()) break;
        policy.act(obs, 1, rng, action, logProb, value);
        let result: ReturnType<Env["step"]>;
        if (actionSpace instanceof Box) {
          result = env.step(actionSpace.clip(action, envAction));
        } else {
          result = env.step(action[0]);
        }
        const [next, reward, terminated, truncated, info] = result;
        episodeReturn += reward;
        length++;
        write(next);
        if (!terminated && !truncated) continue;
        if (!recordsEpisodes) break;
        const statistics = info.episode as EpisodeStatistics | undefined;
        if (statistics !== undefined) {
          episodeReturn = statistics.r;
          length = statistics.l;
          break;
        }
        // A life lost under EpisodicLife: the game goes on from a reset.
        write(env.reset()[0]);
      }
      if (options.shouldStop?.()) break;
      returns.push(episodeReturn);
      lengths.push(length);
      options.onEpisode?.(episode, episodeReturn, length);
    }
  } finally {
    env.close();
  }
  const { mean, std } = meanStd(returns);
  return { returns, lengths, meanReturn: mean, stdReturn: std };
}

/** The evaluation that ends a training run: what `ppo-ts train` prints and the web app shows. */
export interface TrainedEvaluation {
  meanReturn: number;
  stdReturn: number;
  episodes: number;
  /** Episode k was reset with `seed + k`: seeds apart from training's (`config.seed + 1,000,000`). */
  seed: number;
}

/** The trained policy's deterministic return over the config's `evalEpisodes` episodes. */
export async function evaluateTrainer(trainer: PPOTrainer): Promise<TrainedEvaluation> {
  const { config } = trainer;
  const seed = config.seed + 1_000_000;
  const result = await evaluatePolicy(trainer.policy, {
    envId: config.envId,
    envKwargs: config.envKwargs,
    episodes: config.evalEpisodes,
    deterministic: true,
    seed,
    obsStatistics: trainer.observationStatistics,
    clipObservation: config.clipObservation,
  });
  return {
    meanReturn: result.meanReturn,
    stdReturn: result.stdReturn,
    episodes: result.returns.length,
    seed,
  };
}

function wrapsRecordEpisodeStatistics(env: Env): boolean {
  for (let layer: Env = env; layer instanceof Wrapper; layer = layer.env as Env) {
    if (layer instanceof RecordEpisodeStatistics) return true;
  }
  return false;
}
