/**
 * The player: a policy plays episodes at the env's own speed (its render rate) and the page draws
 * each frame; it pauses, steps frame by frame, and records a GIF (src/io/gif.ts). It also evaluates
 * a policy as `ppo-ts eval` does.
 */
import "../src/envs/index.js";
import { make } from "../src/envs/core/registry.js";
import { GifWriter } from "../src/io/gif.js";
import { evaluatePolicy } from "../src/ppo/evaluate.js";
import { ActorCritic } from "../src/ppo/policy.js";
import { policySpecFor } from "../src/ppo/spaces.js";
import { policyFromWeights } from "../src/run/checkpoint.js";
import type { RgbFrame } from "../src/util/rgb_frame.js";
import { npRandom } from "../src/util/seeding.js";
import { withEnvExtras } from "./env_options.js";
import type { PlayCommand, PlayEvent, PolicySource } from "./protocol.js";
import { workerScope } from "./worker_scope.js";

const scope = workerScope();

function post(event: PlayEvent, transfer: Transferable[] = []): void {
  scope.postMessage(event, transfer);
}

/** The policy `source` gives: its weights, or as `PPOTrainer` initializes it from the seed. */
function policyOf(source: PolicySource): ActorCritic {
  const config = withEnvExtras(source.config, source.rom, false);
  if (source.model !== null) return policyFromWeights(config, source.model, "model.safetensors");
  const env = make(config.envId, { ...config.envKwargs });
  const spec = policySpecFor(env.observationSpace, env.actionSpace);
  env.close();
  return new ActorCritic(spec, config.policy, npRandom(3 * config.seed));
}

/** `evaluatePolicy`'s options for `source`'s run (frames and callbacks aside). */
function evaluateOptions(source: PolicySource, deterministic: boolean, seed: number, episodes: number) {
  const config = withEnvExtras(source.config, source.rom, false);
  return {
    envId: config.envId,
    envKwargs: config.envKwargs,
    episodes,
    deterministic,
    seed,
    obsStatistics: source.obsStatistics,
    clipObservation: config.clipObservation,
  };
}

/** Watching: the frame clock, pause and step, the recording. */
class Watch {
  stopped = false;
  paused: boolean;
  private steps = 0;
  private wake: () => void = () => {};
  private recording: GifWriter | null = null;
  private recordAsked = false;
  private index = 0;
  private nextAt = performance.now();

  constructor(paused: boolean) {
    this.paused = paused;
  }

  command(command: PlayCommand): void {
    if (command.type === "pause") this.paused = true;
    if (command.type === "play") this.paused = false;
    if (command.type === "step") this.steps++;
    if (command.type === "stop") this.stopped = true;
    if (command.type === "record") {
      this.recordAsked = command.on;
      if (!command.on) this.finishRecording();
    }
    this.wake();
  }

  /** Shows `frame`, then waits for its time to pass (or, paused, for a step). */
  readonly onFrame = async (frame: RgbFrame, episode: number, renderFps: number): Promise<void> => {
    if (this.recordAsked) {
      this.recording ??= new GifWriter(renderFps);
      this.recording.addFrame(frame);
    }
    const data = frame.data.slice();
    post({ type: "frame", frame: { ...frame, data }, episode, index: this.index++ }, [data.buffer]);
    this.nextAt = Math.max(this.nextAt + 1000 / renderFps, performance.now());
    for (;;) {
      if (this.stopped) return;
      if (this.paused) {
        if (this.steps > 0) {
          this.steps--;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.nextAt = performance.now();
        continue;
      }
      const wait = this.nextAt - performance.now();
      if (wait <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };

  readonly onEpisode = (episode: number, episodeReturn: number, length: number): void => {
    post({ type: "episode", episode, episodeReturn, length });
    this.finishRecording();
  };

  /** Ends the recording under way, if any, and hands its GIF to the page. */
  private finishRecording(): void {
    if (this.recording === null) return;
    const frames = this.recording.frameCount;
    const bytes = this.recording.finish();
    this.recording = null;
    this.recordAsked = false;
    post({ type: "gif", bytes, frames }, [bytes.buffer]);
  }
}

let watch: Watch | null = null;

async function run(command: PlayCommand): Promise<void> {
  if (command.type === "evaluate") {
    const { deterministic, seed } = command;
    const result = await evaluatePolicy(
      policyOf(command.policy),
      evaluateOptions(command.policy, deterministic, seed, command.episodes),
    );
    const { meanReturn, stdReturn } = result;
    const episodes = result.returns.length;
    post({ type: "evaluation", evaluation: { meanReturn, stdReturn, episodes, seed, deterministic } });
    return;
  }
  if (command.type !== "watch") {
    watch?.command(command);
    return;
  }
  watch?.command({ type: "stop" });
  const current = new Watch(command.paused);
  watch = current;
  await evaluatePolicy(policyOf(command.policy), {
    ...evaluateOptions(command.policy, command.deterministic, command.seed, Number.MAX_SAFE_INTEGER),
    onFrame: current.onFrame,
    onEpisode: current.onEpisode,
    shouldStop: () => current.stopped,
  });
  if (watch === current) post({ type: "stopped" });
}

scope.onmessage = (event: MessageEvent) => {
  run(event.data as PlayCommand).catch((error: unknown) =>
    post({ type: "error", message: error instanceof Error ? error.message : String(error) }),
  );
};
