/**
 * The actor-critic networks PPO trains, initialized as CleanRL's `layer_init`: orthogonal weights
 * with gain sqrt(2) in hidden layers, 0.01 on the policy head (near-uniform initial policy) and 1 on
 * the value head, zero biases.
 *
 * - MLP, separate (CleanRL `ppo.py`, SB3's default): `critic` = obs -> hidden... -> 1 and `actor` =
 *   obs -> hidden... -> logits (or the Gaussian mean).
 * - MLP or Nature CNN with a shared trunk (CleanRL `ppo_atari.py`): `network` = obs -> features,
 *   then the heads `actor` (features -> logits) and `critic` (features -> 1).
 *
 * Discrete actions: Categorical over the logits. Continuous: a diagonal Gaussian with the mean from
 * the actor and a state-independent learnable `actor_logstd` (CleanRL's), starting at `logStdInit`.
 * Pixel observations (uint8) are divided by 255 on the way in.
 */

import {
  argmaxAlong,
  ByteRows,
  Categorical,
  Conv2d,
  constant_,
  type DeviceBackend,
  Flatten,
  getBackend,
  Linear,
  logSumExpAlong,
  Module,
  Normal,
  noGrad,
  normalLogDensity,
  normalSample,
  orthogonal_,
  parameter,
  ReLU,
  readTensors,
  Sequential,
  type StateDict,
  sampleClass,
  standardNormal,
  Tanh,
  Tensor,
  tidy,
} from "../nn/index.js";
import type { Rng } from "../util/seeding.js";
import type { ObsArray } from "./buffer.js";
import type { PolicyConfig } from "./config.js";
import {
  allFinite,
  firstNonFinite,
  type NamedArrays,
  NonFiniteError,
  nonFiniteArray,
  tensorArrays,
} from "./nonfinite.js";

/** What the policy must know about the env's spaces. */
export interface PolicySpec {
  /** The observation shape ([n] for vectors, [c, h, w] for stacked frames). */
  obsShape: readonly number[];
  /** Discrete: the number of actions; continuous: the action dimension. */
  actionSize: number;
  continuous: boolean;
}

/** `layer_init`: orthogonal weight with `gain`, constant bias; nothing when `rng` is null (to be loaded). */
function layerInit<L extends Linear | Conv2d>(layer: L, gain: number, rng: Rng | null, biasConst = 0): L {
  if (rng === null) return layer;
  orthogonal_(layer.weight, gain, rng);
  if (layer.bias !== null) constant_(layer.bias, biasConst);
  return layer;
}

const HIDDEN_GAIN = Math.SQRT2;
const POLICY_GAIN = 0.01;
const VALUE_GAIN = 1;

/** obs -> hidden layers with the activation after each; `out` is the last width. */
function mlpBody(
  inputSize: number,
  hidden: readonly number[],
  config: PolicyConfig,
  rng: Rng,
  init: Rng | null,
) {
  const layers: (Linear | Tanh | ReLU)[] = [];
  let width = inputSize;
  for (const h of hidden) {
    layers.push(layerInit(new Linear(width, h, { rng }), HIDDEN_GAIN, init));
    layers.push(config.activation === "tanh" ? new Tanh() : new ReLU());
    width = h;
  }
  return { layers, width };
}

/** CleanRL's Atari trunk (Mnih et al. 2015): 3 convolutions and a 512-unit layer, all ReLU. */
function natureCnn(
  obsShape: readonly number[],
  rng: Rng,
  init: Rng | null,
): { network: Sequential; width: number } {
  const [channels, height, width] = obsShape;
  const size = (n: number, k: number, s: number) => Math.floor((n - k) / s) + 1;
  const h = size(size(size(height, 8, 4), 4, 2), 3, 1);
  const w = size(size(size(width, 8, 4), 4, 2), 3, 1);
  const network = new Sequential(
    layerInit(new Conv2d(channels, 32, 8, { stride: 4, rng }), HIDDEN_GAIN, init),
    new ReLU(),
    layerInit(new Conv2d(32, 64, 4, { stride: 2, rng }), HIDDEN_GAIN, init),
    new ReLU(),
    layerInit(new Conv2d(64, 64, 3, { stride: 1, rng }), HIDDEN_GAIN, init),
    new ReLU(),
    new Flatten(),
    layerInit(new Linear(64 * h * w, 512, { rng }), HIDDEN_GAIN, init),
    new ReLU(),
  );
  return { network, width: 512 };
}

/** One Linear layer of a graph-free forward pass, with the activation that follows it (if any). */
interface GraphFreeLayer {
  linear: Linear;
  activation: "tanh" | "relu" | null;
}

/**
 * The forward pass of a Sequential MLP without the autograd graph, for rollouts: each Linear is one
 * call of the backend's GEMM (bias fused) into rows preallocated from the backend, and the
 * activation is the backend's kernel, applied in place. Acting runs once per vector step, so this
 * path allocates nothing and skips the tensor bookkeeping that training needs; `evaluateActions`
 * (training) runs the same layers as tensor ops, and a test checks that both give the same numbers.
 */
class GraphFreeMlp {
  private readonly layers: GraphFreeLayer[] = [];
  private readonly outputs: Float32Array[] = [];
  private input: Float32Array = new Float32Array(0);
  private capacity = 0;

  constructor(
    network: Sequential,
    readonly inputSize: number,
  ) {
    for (const layer of network.layers) {
      if (layer instanceof Linear) this.layers.push({ linear: layer, activation: null });
      else {
        const last = this.layers[this.layers.length - 1];
        if (last === undefined || last.activation !== null)
          throw new Error("GraphFreeMlp: an activation must follow a Linear layer");
        last.activation = layer instanceof Tanh ? "tanh" : "relu";
      }
    }
  }

  private allocate(rows: number): void {
    const backend = getBackend();
    this.capacity = rows;
    this.input = backend.alloc(rows * this.inputSize);
    this.outputs.length = 0;
    for (const { linear } of this.layers) this.outputs.push(backend.alloc(rows * linear.outFeatures));
  }

  /** Runs the layers on the first `rows` rows of `obs`; returns the output rows (valid until the next run). */
  run(obs: ObsArray, rows: number): Float32Array {
    if (rows > this.capacity) this.allocate(rows);
    const input = this.input;
    for (let i = 0; i < rows * this.inputSize; i++) input[i] = obs[i];
    const backend = getBackend();
    let x = input;
    let width = this.inputSize;
    for (let k = 0; k < this.layers.length; k++) {
      const { linear, activation } = this.layers[k];
      const out = linear.outFeatures;
      // Exactly `rows` rows: the kernels work on the whole of the arrays they are given.
      const y = this.outputs[k].subarray(0, rows * out);
      backend.gemm(false, true, rows, out, width, x, linear.weight.data, y, false, linear.bias?.data ?? null);
      if (activation !== null) backend.activation(activation, y, y);
      x = y;
      width = out;
    }
    return x;
  }
}

/** v / 255 as float32 for each byte value, as CleanRL's `x / 255.0` computes it. */
const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** out[k] = bytes[from + k] / 255 (image observations into the network's input). */
function bytesToUnit(bytes: Uint8Array, from: number, out: Float32Array): void {
  for (let k = 0; k < out.length; k++) out[k] = BYTE_TO_UNIT[bytes[from + k]];
}

/** The result of evaluating stored actions under the current policy (tensors in the graph). */
export interface ActionEvaluation {
  logProb: Tensor;
  entropy: Tensor;
  value: Tensor;
}

/** A rollout's observations and actions on the policy's GPU, for minibatches chosen there. */
export interface DeviceBatch {
  /** Pixel observations as bytes, or float observations (samples x obsSize). */
  obs: ByteRows | Tensor;
  /** Samples x actionWidth. */
  actions: Tensor;
}

export class ActorCritic extends Module {
  /** The shared trunk, or null for separate actor and critic networks. */
  readonly network: Sequential | null;
  readonly actor: Sequential;
  readonly critic: Sequential;
  /** Continuous actions: the log standard deviation, shape (1, actionSize). */
  readonly actor_logstd: Tensor | null;
  readonly obsSize: number;
  /** Values stored per action: 1 (the index) for discrete, the dimension for continuous. */
  readonly actionWidth: number;
  /** Graph-free actor and critic for rollouts (separate MLPs only; null otherwise). */
  private readonly actorInference: GraphFreeMlp | null;
  /**
   * A parameter, where the device of them all is read cheaply (acting asks every step); a `#`
   * field, which `Module` does not list among the parameters.
   */
  readonly #probe: Tensor;
  private readonly criticInference: GraphFreeMlp | null;

  /**
   * `initialize: false` skips CleanRL's orthogonal layer_init, for a policy whose weights are loaded
   * next (`loadStateDict`): it takes 2 s for the Nature CNN's 512 x 3136 layer.
   */
  constructor(
    readonly spec: PolicySpec,
    readonly config: PolicyConfig,
    rng: Rng,
    initialize = true,
  ) {
    super();
    this.obsSize = spec.obsShape.reduce((a, b) => a * b, 1);
    this.actionWidth = spec.continuous ? spec.actionSize : 1;
    const init = initialize ? rng : null;
    const head = (width: number, out: number, gain: number) =>
      layerInit(new Linear(width, out, { rng }), gain, init);
    if (config.kind === "nature-cnn") {
      const { network, width } = natureCnn(spec.obsShape, rng, init);
      this.network = network;
      this.actor = new Sequential(head(width, spec.actionSize, POLICY_GAIN));
      this.critic = new Sequential(head(width, 1, VALUE_GAIN));
    } else if (config.sharedTrunk) {
      const body = mlpBody(this.obsSize, config.hiddenSizes, config, rng, init);
      this.network = new Sequential(...body.layers);
      this.actor = new Sequential(head(body.width, spec.actionSize, POLICY_GAIN));
      this.critic = new Sequential(head(body.width, 1, VALUE_GAIN));
    } else {
      this.network = null;
      const criticBody = mlpBody(this.obsSize, config.hiddenSizes, config, rng, init);
      this.critic = new Sequential(...criticBody.layers, head(criticBody.width, 1, VALUE_GAIN));
      const actorBody = mlpBody(this.obsSize, config.hiddenSizes, config, rng, init);
      this.actor = new Sequential(...actorBody.layers, head(actorBody.width, spec.actionSize, POLICY_GAIN));
    }
    this.actor_logstd = spec.continuous
      ? constant_(parameter([1, spec.actionSize]), config.logStdInit)
      : null;
    this.#probe = this.critic.parameters()[0];
    const graphFree = this.network === null;
    this.actorInference = graphFree ? new GraphFreeMlp(this.actor, this.obsSize) : null;
    this.criticInference = graphFree ? new GraphFreeMlp(this.critic, this.obsSize) : null;
  }

  override get device(): DeviceBackend | null {
    return this.#probe.device;
  }

  /** Parameters the actor learning rate applies to (the shared trunk counts as the actor's). */
  actorParameters(): Tensor[] {
    const params = [...(this.network?.parameters() ?? []), ...this.actor.parameters()];
    if (this.actor_logstd !== null) params.push(this.actor_logstd);
    return params;
  }

  criticParameters(): Tensor[] {
    return this.critic.parameters();
  }

  /**
   * Loads weights read from `source` (named in errors): refused, the network unchanged, when a tensor
   * holds a NaN or an infinity (the weights of a run that diverged), or when they do not fit
   * `network` (this network, as a message calls it).
   */
  loadWeights(tensors: StateDict, source: string, network = "this network"): void {
    const note = "refused: a policy's weights must be finite";
    const nonFinite = nonFiniteArray(tensorArrays(Object.entries(tensors), "weight"), { source, note });
    if (nonFinite !== null) throw nonFinite;
    try {
      this.loadStateDict(tensors);
    } catch (error) {
      throw new Error(`${source}: the weights do not fit ${network}: ${(error as Error).message}`);
    }
  }

  /** What the heads read: the shared trunk's output, or the input itself. */
  private features(x: Tensor): Tensor {
    return this.network === null ? x : this.network.forward(x);
  }

  /** Logits (or Gaussian mean) and values for a batch of inputs. */
  private heads(x: Tensor): { actorOut: Tensor; value: Tensor } {
    const features = this.features(x);
    return { actorOut: this.actor.forward(features), value: this.critic.forward(features) };
  }

  private distribution(actorOut: Tensor): Categorical | Normal {
    return this.actor_logstd === null ? new Categorical(actorOut) : new Normal(actorOut, this.actor_logstd);
  }

  /**
   * The rollout step (no graph): for `count` observations, samples actions (or takes the most likely
   * ones when `rng` is null) and writes them with their log-probabilities and values.
   */
  act(
    obs: ObsArray,
    count: number,
    rng: Rng | null,
    actions: Float32Array,
    logProbs: Float32Array,
    values: Float32Array,
  ): void {
    this.refuseDevice("act");
    if (this.actorInference !== null) {
      const actorOut = this.actorInference.run(obs, count);
      this.predictValues(obs, count, values);
      this.chooseActions(actorOut, count, rng, actions, logProbs);
    } else {
      tidy(() =>
        noGrad(() => {
          const { actorOut, value } = this.heads(this.input(obs, count));
          const dist = this.distribution(actorOut);
          const action = rng === null ? dist.mode() : dist.sample(rng);
          const logProb = dist.logProb(action);
          actions.set(action.data.subarray(0, count * this.actionWidth));
          logProbs.set(logProb.data.subarray(0, count));
          values.set(value.data.subarray(0, count));
        }),
      );
      this.checkOutputs(obs, count, values, "value");
    }
    this.checkOutputs(obs, count, logProbs, "log-probability");
  }

  /**
   * `act` wherever the policy lives: on a GPU the forward pass and the sampling run there (the
   * draws made on the CPU from `rng`, in the same order) and only the actions, their
   * log-probabilities and the values come back.
   */
  async actAsync(...args: Parameters<ActorCritic["act"]>): Promise<void> {
    const [obs, count, rng, actions, logProbs, values] = args;
    if (this.device === null) {
      this.act(...args);
      return;
    }
    const outputs = tidy(() =>
      noGrad(() => {
        const { actorOut, value } = this.heads(this.deviceInput(obs, count));
        const { action, logProb } = this.distribution(actorOut).choose(rng);
        return [action, logProb, value];
      }),
    );
    const [actionValues, logProbValues, valueValues] = await readTensors(outputs);
    for (const t of outputs) t.dispose();
    actions.set(actionValues);
    logProbs.set(logProbValues);
    values.set(valueValues);
    const parameters =
      allFinite(values, 0, count) && allFinite(logProbs, 0, count) ? undefined : await this.readParameters();
    this.checkOutputs(obs, count, values, "value", parameters);
    this.checkOutputs(obs, count, logProbs, "log-probability", parameters);
  }

  /** `predictValues` wherever the policy lives. */
  async predictValuesAsync(obs: ObsArray, count: number, values: Float32Array): Promise<void> {
    if (this.device === null) {
      this.predictValues(obs, count, values);
      return;
    }
    const value = tidy(() => noGrad(() => this.critic.forward(this.features(this.deviceInput(obs, count)))));
    values.set(await value.read());
    value.dispose();
    const parameters = allFinite(values, 0, count) ? undefined : await this.readParameters();
    this.checkOutputs(obs, count, values, "value", parameters);
  }

  /** The parameters' values read back from wherever they live, named as `checkOutputs` names them. */
  private async readParameters(): Promise<NamedArrays> {
    const named = this.namedParameters();
    const arrays = await readTensors(named.map(([, tensor]) => tensor));
    return named.map(([name], i) => [`parameter ${name}`, arrays[i]] as const);
  }

  /** The synchronous paths run on the CPU only: a GPU's results come back asynchronously. */
  private refuseDevice(method: string): void {
    const device = this.device;
    if (device !== null)
      throw new Error(`ActorCritic.${method}(): the policy lives on ${device.name}: use ${method}Async()`);
  }

  /**
   * Throws a `NonFiniteError` naming the cause when one of the `count` outputs is NaN or infinite
   * (a NaN log-probability is where a sampled action would come out as -1): the observation, else
   * a parameter, else the outputs themselves (finite weights too large for float32). A policy on a
   * GPU passes its `parameters` read back.
   */
  private checkOutputs(
    obs: ObsArray,
    count: number,
    outputs: Float32Array,
    what: string,
    parameters?: NamedArrays,
  ): void {
    if (allFinite(outputs, 0, count)) return;
    const row = firstNonFinite(outputs, 0, count);
    const size = this.obsSize;
    const input = obs instanceof Uint8Array ? -1 : firstNonFinite(obs, row * size, (row + 1) * size);
    const rowName = count === 1 ? "" : ` (row ${row})`;
    const found = `which made the policy's ${what}${rowName} ${outputs[row]}`;
    if (input >= 0) {
      throw new NonFiniteError({
        quantity: `observation${rowName}`,
        value: obs[row * size + input],
        index: input,
        found,
      });
    }
    const parameter = nonFiniteArray(parameters ?? tensorArrays(this.namedParameters(), "parameter"), {
      found,
    });
    if (parameter !== null) throw parameter;
    throw new NonFiniteError({
      quantity: `policy ${what}${rowName}`,
      value: outputs[row],
      found: "from a finite observation and finite weights (too large for float32)",
    });
  }

  /**
   * What `distribution(actorOut)` gives for `count` rows of the graph-free actor's output, without
   * tensors: actions sampled (or the most likely where `rng` is null) and their log-probabilities.
   */
  private chooseActions(
    actorOut: Float32Array,
    count: number,
    rng: Rng | null,
    actions: Float32Array,
    logProbs: Float32Array,
  ): void {
    const size = this.spec.actionSize;
    const logStd = this.actor_logstd?.data;
    for (let r = 0; r < count; r++) {
      const row = r * size;
      if (logStd === undefined) {
        const logZ = logSumExpAlong(actorOut, row, row + size);
        const chosen =
          rng === null
            ? argmaxAlong(actorOut, row, row + size)
            : sampleClass(actorOut, row, size, logZ, rng.random());
        actions[r] = chosen;
        logProbs[r] = actorOut[row + chosen] - logZ;
      } else {
        let logProb = 0;
        for (let k = 0; k < size; k++) {
          const mean = actorOut[row + k];
          actions[row + k] = normalSample(mean, logStd[k], rng === null ? 0 : standardNormal(rng));
          // The density of the action as stored (float32).
          logProb += normalLogDensity(actions[row + k], mean, logStd[k]);
        }
        logProbs[r] = logProb;
      }
    }
  }

  /** V(s) for `count` observations, written to `values` (no graph). */
  predictValues(obs: ObsArray, count: number, values: Float32Array): void {
    this.refuseDevice("predictValues");
    if (this.criticInference !== null) {
      const v = this.criticInference.run(obs, count);
      for (let r = 0; r < count; r++) values[r] = v[r];
    } else {
      tidy(() =>
        noGrad(() => {
          const features = this.features(this.input(obs, count));
          values.set(this.critic.forward(features).data.subarray(0, count));
        }),
      );
    }
    this.checkOutputs(obs, count, values, "value");
  }

  /**
   * CleanRL's `get_action_and_value(b_obs[mb_inds], b_actions[mb_inds])`: log-probabilities and
   * entropies of the stored actions and the values, for the rows `indices` of the batch.
   */
  evaluateActions(batch: { obs: ObsArray; actions: Float32Array }, indices: Int32Array): ActionEvaluation {
    const count = indices.length;
    const x = this.input(batch.obs, count, indices);
    const dim = this.actionWidth;
    const actions = Tensor.zeros(this.spec.continuous ? [count, dim] : [count]);
    const actionData = actions.data;
    for (let i = 0; i < count; i++) {
      const row = indices[i] * dim;
      for (let k = 0; k < dim; k++) actionData[i * dim + k] = batch.actions[row + k];
    }
    return this.evaluate(x, actions);
  }

  /** `evaluateActions` for a rollout on the policy's GPU, the minibatch's `indices` a tensor there. */
  evaluateMinibatch(batch: DeviceBatch, indices: Tensor): ActionEvaluation {
    const x =
      batch.obs instanceof ByteRows
        ? batch.obs.select(indices, this.spec.obsShape)
        : batch.obs.selectRows(indices);
    const actions = batch.actions.selectRows(indices);
    return this.evaluate(
      x.reshape([indices.size, ...this.spec.obsShape]),
      this.spec.continuous ? actions : actions.reshape([indices.size]),
    );
  }

  /** Log-probabilities of `actions`, entropies and values for the inputs `x`. */
  private evaluate(x: Tensor, actions: Tensor): ActionEvaluation {
    const { actorOut, value } = this.heads(x);
    const dist = this.distribution(actorOut);
    return { logProb: dist.logProb(actions), entropy: dist.entropy(), value: value.reshape([x.shape[0]]) };
  }

  /** The first `count` rows of `obs` as an input on the policy's GPU, pixels / 255. */
  private deviceInput(obs: ObsArray, count: number): Tensor {
    const device = this.device as NonNullable<typeof this.device>;
    const rows = obs.subarray(0, count * this.obsSize);
    if (!(rows instanceof Uint8Array)) return Tensor.empty([count, ...this.spec.obsShape], device).set(rows);
    const bytes = new ByteRows(device, rows, this.obsSize);
    const x = bytes.select(null, this.spec.obsShape);
    bytes.dispose();
    return x;
  }

  /** The input tensor: rows of `obs` (all `count` of them, or those at `indices`), pixels / 255. */
  private input(obs: ObsArray, count: number, indices?: Int32Array): Tensor {
    const size = this.obsSize;
    // Every element is written below: no zeroing.
    const x = new Tensor(getBackend().alloc(count * size, false), [count, ...this.spec.obsShape]);
    const data = x.data;
    for (let r = 0; r < count; r++) {
      const from = (indices === undefined ? r : indices[r]) * size;
      const row = data.subarray(r * size, (r + 1) * size);
      if (obs instanceof Uint8Array) bytesToUnit(obs, from, row);
      else row.set(obs.subarray(from, from + size));
    }
    return x;
  }
}
