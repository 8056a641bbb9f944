/**
 * The PPO configuration. Every field is declared once, in `CONFIG_FIELDS` (as CleanRL's `Args`
 * dataclass with tyro): its default, its documentation, its check and how it reads from text. From
 * that table come the `PPOConfig` type, `DEFAULT_CONFIG`, the per-field part of `validateConfig`,
 * the JSON Schema (`configSchema()`, for forms and sweep specs) and the CLI flags
 * (`CONFIG_FIELD_LIST`: `--learning-rate`, `--policy-hidden-sizes`, ...).
 *
 * The defaults are CleanRL's `ppo.py` (names camel-cased), with one deliberate difference:
 * `bootstrapTruncated`. Per-env presets live in `presets.ts`; a config file and CLI flags override
 * them; `validateConfig` checks the result before training starts and names every field that is
 * wrong and why.
 */
import {
  booleanProblem,
  choiceProblem,
  integerProblem,
  type NumberRange,
  numberProblem,
  OptionTextError,
  parseBooleanText,
  parseIntegerText,
  parseNumberText,
} from "../util/options.js";

/** A JSON Schema (draft 2020-12) object. */
export type JsonSchema = { [keyword: string]: unknown };

/** What a field holds, for the readers of the table (CLI flags, forms). */
export type FieldKind = "integer" | "number" | "boolean" | "choice" | "string" | "integer-list" | "object";

/** One config field: everything about it that is not its name. */
export interface ConfigField<T> {
  readonly kind: FieldKind;
  readonly default: T;
  readonly doc: string;
  /** `null` is a value (e.g. `targetKl: null`, never stop early). */
  readonly nullable: boolean;
  /** The JSON Schema of its values (the description and default are added from the above). */
  readonly schema: JsonSchema;
  /** Why `value` is refused (read after the field's name), or null when it is accepted. */
  check(value: unknown): string | null;
  /** The value written as text (a flag, a form input); throws an OptionTextError if unreadable. */
  parse(text: string): T;
  /** The CLI flag, when not the kebab-cased name (`--env` for `envId`). */
  readonly flag?: string;
  /**
   * Whether `--resume` may change it: it says how long to train or how to run, not what a step
   * computes or what the checkpoint holds. Every other field is the run's own and stays as it began.
   */
  readonly resumable: boolean;
}

/** Fields nested under one name (`policy`). */
export interface ConfigGroup<F extends FieldTable> {
  readonly doc: string;
  readonly fields: F;
}

export type FieldTable = { readonly [name: string]: ConfigField<unknown> | ConfigGroup<FieldTable> };

/** The value type of a table: each field's `T`, groups as nested objects. */
export type ValuesOf<F extends FieldTable> = {
  -readonly [K in keyof F]: F[K] extends ConfigField<infer T>
    ? T
    : F[K] extends ConfigGroup<infer G>
      ? ValuesOf<G>
      : never;
};

interface FieldSpec<T> {
  default: T;
  doc: string;
  flag?: string;
  resumable?: boolean;
}

function field<T>(
  kind: FieldKind,
  spec: FieldSpec<T>,
  schema: JsonSchema,
  check: (value: unknown) => string | null,
  parse: (text: string) => T,
  nullable = false,
): ConfigField<T> {
  const resumable = spec.resumable === true;
  return {
    kind,
    default: spec.default,
    doc: spec.doc,
    flag: spec.flag,
    resumable,
    nullable,
    schema,
    check,
    parse,
  };
}

function rangeSchema(type: "integer" | "number", range: NumberRange): JsonSchema {
  const schema: JsonSchema = { type };
  if (range.minimum !== undefined)
    schema[range.exclusiveMinimum ? "exclusiveMinimum" : "minimum"] = range.minimum;
  if (range.maximum !== undefined) schema.maximum = range.maximum;
  return schema;
}

/** An integer in [minimum, maximum]; `whyMaximum` says why a larger one is refused. */
function integer(
  spec: FieldSpec<number> & { minimum?: number; maximum?: number; whyMaximum?: string },
): ConfigField<number> {
  const { minimum, maximum, whyMaximum } = spec;
  const check = (v: unknown) =>
    integerProblem(v, minimum) ??
    (maximum !== undefined && (v as number) > maximum
      ? `must be at most ${maximum}, got ${JSON.stringify(v)}${whyMaximum ? `: ${whyMaximum}` : ""}`
      : null);
  return field("integer", spec, rangeSchema("integer", spec), check, parseIntegerText);
}

function number(spec: FieldSpec<number> & NumberRange): ConfigField<number> {
  return field("number", spec, rangeSchema("number", spec), (v) => numberProblem(v, spec), parseNumberText);
}

/** A number or null ("null" or "none" as text). */
function nullableNumber(spec: FieldSpec<number | null> & NumberRange): ConfigField<number | null> {
  return field(
    "number",
    spec,
    { ...rangeSchema("number", spec), type: ["number", "null"] },
    (v) => (v === null ? null : numberProblem(v, spec)),
    (text) => (text === "null" || text === "none" ? null : parseNumberText(text)),
    true,
  );
}

function boolean(spec: FieldSpec<boolean>): ConfigField<boolean> {
  return field("boolean", spec, { type: "boolean" }, booleanProblem, parseBooleanText);
}

function choice<const C extends readonly string[]>(
  choices: C,
  spec: FieldSpec<C[number]>,
): ConfigField<C[number]> {
  return field(
    "choice",
    spec,
    { type: "string", enum: [...choices] },
    (v) => choiceProblem(v, choices),
    (text) => text as C[number],
  );
}

function nonEmptyString(spec: FieldSpec<string>): ConfigField<string> {
  return field(
    "string",
    spec,
    { type: "string", minLength: 1 },
    (v) => (typeof v === "string" && v.length > 0 ? null : "must be a non-empty string"),
    (text) => text,
  );
}

/** A non-empty list of positive integers, written `64,64` or `[64, 64]`. */
function positiveIntegers(spec: FieldSpec<number[]>): ConfigField<number[]> {
  return field(
    "integer-list",
    spec,
    { type: "array", items: { type: "integer", minimum: 1 }, minItems: 1 },
    (v) =>
      Array.isArray(v) && v.length > 0 && v.every((h) => Number.isInteger(h) && h > 0)
        ? null
        : `must be a non-empty list of positive integers, got ${JSON.stringify(v)}`,
    (text) =>
      text
        .replace(/^\s*\[|\]\s*$/g, "")
        .split(/[\s,]+/)
        .filter((part) => part !== "")
        .map(parseIntegerText),
  );
}

/** An object of options, written as JSON. */
function jsonObject(spec: FieldSpec<Record<string, unknown>>): ConfigField<Record<string, unknown>> {
  const problem = (v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? null
      : `must be an object, got ${JSON.stringify(v)}`;
  return field("object", spec, { type: "object" }, problem, (text) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new OptionTextError(`must be a JSON object, got ${JSON.stringify(text)}`);
    }
    const reason = problem(value);
    if (reason !== null) throw new OptionTextError(reason);
    return value as Record<string, unknown>;
  });
}

const positive = { minimum: 0, exclusiveMinimum: true } as const;

/**
 * The largest seed. NumPy takes seeds up to 2^128, but here the streams are seeded with 3 * seed,
 * + 1, + 2, which must be exact in a JavaScript number (integers up to 2^53 - 1); a config file or
 * flag could not carry a larger one exactly either, as JSON and YAML read integers past 2^53 rounded.
 */
export const MAX_SEED = Math.floor((Number.MAX_SAFE_INTEGER - 2) / 3);

/** Every config field, in the order of `config.json`. */
export const CONFIG_FIELDS = {
  envId: nonEmptyString({ default: "CartPole-v1", doc: "The registered environment id.", flag: "--env" }),
  envKwargs: jsonObject({
    default: {},
    doc: 'Extra options for `make(envId, ...)`, e.g. `{"continuous": true}`.',
  }),
  seed: integer({
    default: 1,
    minimum: 0,
    maximum: MAX_SEED,
    whyMaximum:
      "the streams 3 * seed, + 1, + 2 must be exact integers in a JavaScript number (up to 2^53 - 1), and integers past 2^53 are already rounded when read",
    doc: "Seed of everything random: env i resets with seed + i; the network, action sampling and minibatch shuffling draw from streams 3 * seed, + 1, + 2.",
  }),
  totalTimesteps: integer({
    default: 500_000,
    minimum: 1,
    resumable: true,
    doc: "Environment steps to train for.",
  }),
  learningRate: number({ default: 2.5e-4, ...positive, doc: "Adam's learning rate." }),
  actorLearningRate: nullableNumber({
    default: null,
    ...positive,
    doc: "The actor's own learning rate (its trunk and log std included); null uses learningRate.",
  }),
  criticLearningRate: nullableNumber({
    default: null,
    ...positive,
    doc: "The critic's own learning rate; null uses learningRate.",
  }),
  numEnvs: integer({ default: 4, minimum: 1, doc: "Parallel environments." }),
  numSteps: integer({
    default: 128,
    minimum: 1,
    doc: "Steps per env per rollout; the batch is numEnvs * numSteps.",
  }),
  annealLr: boolean({
    default: true,
    doc: "Decays the learning rate linearly to 0 over the run (CleanRL's anneal_lr).",
  }),
  gamma: number({ default: 0.99, minimum: 0, maximum: 1, doc: "The discount factor." }),
  gaeLambda: number({
    default: 0.95,
    minimum: 0,
    maximum: 1,
    doc: "The lambda of Generalized Advantage Estimation.",
  }),
  numMinibatches: integer({
    default: 4,
    minimum: 1,
    doc: "Minibatches per epoch; each holds numEnvs * numSteps / numMinibatches samples.",
  }),
  updateEpochs: integer({ default: 4, minimum: 1, doc: "Passes over the batch per update." }),
  normAdv: boolean({ default: true, doc: "Normalizes the advantages of each minibatch." }),
  clipCoef: number({ default: 0.2, ...positive, doc: "The surrogate clipping coefficient (epsilon)." }),
  clipVloss: boolean({
    default: true,
    doc: "Clips the value loss around the rollout's values with clipCoef (as PPO2 and CleanRL).",
  }),
  entCoef: number({ default: 0.01, minimum: 0, doc: "Weight of the entropy bonus in the loss." }),
  vfCoef: number({ default: 0.5, minimum: 0, doc: "Weight of the value loss in the loss." }),
  maxGradNorm: number({
    default: 0.5,
    ...positive,
    doc: "The global gradient norm is clipped to this before each Adam step.",
  }),
  targetKl: nullableNumber({
    default: null,
    ...positive,
    doc: "Stops an update's epochs once the approximate KL exceeds this; null never stops early.",
  }),
  bootstrapTruncated: boolean({
    default: true,
    doc: "An episode cut by the time limit is bootstrapped from V(final observation), as if it went on; false treats the cut as termination, as CleanRL does (its issue #198).",
  }),
  normalizeObservation: boolean({
    default: false,
    doc: "Normalizes observations by running mean and variance (saved with checkpoints, used by evaluation).",
  }),
  clipObservation: number({
    default: 10,
    ...positive,
    doc: "Normalized observations are clipped to +-clipObservation.",
  }),
  normalizeReward: boolean({
    default: false,
    doc: "Scales rewards by the running std of the discounted return (Gymnasium's NormalizeReward).",
  }),
  clipReward: number({ default: 10, ...positive, doc: "Scaled rewards are clipped to +-clipReward." }),
  policy: {
    doc: "The policy network: an MLP (separate actor and critic, or one shared trunk) or the Nature CNN.",
    fields: {
      kind: choice(["mlp", "nature-cnn"], {
        default: "mlp",
        doc: 'The network: "mlp", or "nature-cnn" over 4 stacked 84x84 frames (CleanRL\'s ppo_atari.py).',
      }),
      hiddenSizes: positiveIntegers({
        default: [64, 64],
        doc: "Hidden layer widths of the MLP (each of actor and critic, or the shared trunk).",
      }),
      activation: choice(["tanh", "relu"], { default: "tanh", doc: "The MLP's activation." }),
      sharedTrunk: boolean({
        default: false,
        doc: "One trunk feeding both heads (as CleanRL's Atari agent) instead of two separate networks.",
      }),
      logStdInit: number({
        default: 0,
        doc: "Initial value of the state-independent log standard deviation (continuous actions).",
      }),
    },
  },
  vecMode: choice(["sync", "async"], {
    default: "sync",
    resumable: true,
    doc: 'Vector env mode: "sync" steps the envs in this thread (deterministic), "async" in worker threads.',
  }),
  device: choice(["cpu", "webgpu", "auto"], {
    default: "cpu",
    resumable: true,
    doc: 'Where the network runs: "cpu" (WebAssembly), "webgpu" (a GPU through WebGPU: in a browser, or in Node with the optional `webgpu` package), or "auto" (a GPU when an adapter exists, else the CPU). Checkpoints do not depend on it.',
  }),
  checkpointSeconds: number({
    default: 30,
    resumable: true,
    minimum: 0,
    doc: "A checkpoint is written when this many seconds have passed since the last (0: every update).",
  }),
  evalEpisodes: integer({
    default: 10,
    resumable: true,
    minimum: 0,
    doc: "Episodes of the final evaluation printed in the summary (0: none).",
  }),
} satisfies FieldTable;

export type PPOConfig = ValuesOf<typeof CONFIG_FIELDS>;
export type PolicyConfig = PPOConfig["policy"];
export type PolicyActivation = PolicyConfig["activation"];

function isGroup(entry: ConfigField<unknown> | ConfigGroup<FieldTable>): entry is ConfigGroup<FieldTable> {
  return "fields" in entry;
}

/** A field with its place in the config. */
export interface ConfigFieldEntry {
  /** The dotted name, as in error messages and `--set` (`policy.hiddenSizes`). */
  readonly name: string;
  readonly path: readonly string[];
  /** The CLI flag (`--learning-rate`, `--policy-hidden-sizes`). */
  readonly flag: string;
  readonly field: ConfigField<unknown>;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function listFields(table: FieldTable, prefix: readonly string[]): ConfigFieldEntry[] {
  return Object.entries(table).flatMap(([key, entry]) => {
    const path = [...prefix, key];
    if (isGroup(entry)) return listFields(entry.fields, path);
    return [
      { name: path.join("."), path, flag: entry.flag ?? `--${path.map(kebab).join("-")}`, field: entry },
    ];
  });
}

/** Every field of the table, nested ones included, in table order. */
export const CONFIG_FIELD_LIST: readonly ConfigFieldEntry[] = Object.freeze(listFields(CONFIG_FIELDS, []));

/** A copy of a default (its lists and objects, all flat, not shared with the table). */
const copy = <T>(value: T): T =>
  (Array.isArray(value)
    ? [...value]
    : value !== null && typeof value === "object"
      ? { ...value }
      : value) as T;

function defaultsOf(table: FieldTable): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(table).map(([key, entry]) => [
      key,
      isGroup(entry) ? Object.freeze(defaultsOf(entry.fields)) : copy(entry.default),
    ]),
  );
}

/** CleanRL `ppo.py` defaults (see `CONFIG_FIELDS`). */
export const DEFAULT_CONFIG: Readonly<PPOConfig> = Object.freeze(defaultsOf(CONFIG_FIELDS) as PPOConfig);

function groupSchema(table: FieldTable): JsonSchema {
  const properties = Object.fromEntries(
    Object.entries(table).map(([key, entry]) => [
      key,
      isGroup(entry)
        ? { description: entry.doc, ...groupSchema(entry.fields) }
        : { ...entry.schema, description: entry.doc, default: copy(entry.default) },
    ]),
  );
  return { type: "object", properties, required: Object.keys(table), additionalProperties: false };
}

/** The config as a JSON Schema: each field's type, bounds or choices, default and description. */
export function configSchema(): JsonSchema {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "PPOConfig",
    description: "ppo-ts PPO configuration (CleanRL ppo.py's arguments, camel-cased).",
    ...groupSchema(CONFIG_FIELDS),
  };
}

/** A partial config as a preset, a config file or the CLI gives it (`policy` may be partial too). */
export type PPOConfigOverrides = Partial<Omit<PPOConfig, "policy">> & { policy?: Partial<PolicyConfig> };

/** Layers overrides onto a base config, left to right; `policy` merges field by field. */
export function mergeConfig(base: Readonly<PPOConfig>, ...overrides: PPOConfigOverrides[]): PPOConfig {
  let merged: PPOConfig = { ...base, envKwargs: { ...base.envKwargs }, policy: clonePolicy(base.policy) };
  for (const override of overrides) {
    const problems = overrideProblems(override);
    if (problems.length > 0) throw new ConfigError(problems);
    const { policy, ...rest } = override;
    const definedRest = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    // envKwargs merge key by key (a config file's romDir keeps the family's preprocessing).
    merged = { ...merged, ...definedRest, envKwargs: { ...merged.envKwargs, ...rest.envKwargs } };
    if (policy !== undefined) merged.policy = { ...merged.policy, ...policy };
  }
  return merged;
}

function clonePolicy(policy: PolicyConfig): PolicyConfig {
  return { ...policy, hiddenSizes: [...policy.hiddenSizes] };
}

/**
 * What `mergeConfig` refuses in an override before merging it: a field the table does not declare,
 * and a group (`policy`) or `envKwargs` that is not an object: those merge key by key, so any other
 * value would vanish in the merge instead of reaching `validateConfig`.
 */
function overrideProblems(override: object, table: FieldTable = CONFIG_FIELDS, prefix = ""): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [key, value] of Object.entries(override)) {
    const name = `${prefix}${key}`;
    if (!Object.hasOwn(table, key)) {
      problems.push({ field: name, reason: `unknown field${suggest(key, Object.keys(table))}` });
      continue;
    }
    const entry = table[key];
    if (value === undefined) continue;
    if (!isGroup(entry)) {
      const reason = entry.kind === "object" ? entry.check(value) : null;
      if (reason !== null) problems.push({ field: name, reason });
    } else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      problems.push(...overrideProblems(value, entry.fields, `${name}.`));
    } else {
      const fields = Object.keys(entry.fields).join(", ");
      problems.push({
        field: name,
        reason: `must be an object of its fields (${fields}), got ${JSON.stringify(value)}`,
      });
    }
  }
  return problems;
}

/** "did you mean" for a key that differs from a known one in case, `_` or `-` only. */
function suggest(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase().replace(/[_-]/g, "");
  const match = known.find((k) => k.toLowerCase() === lower);
  return match ? ` (did you mean "${match}"?)` : "";
}

export interface ConfigProblem {
  field: string;
  reason: string;
}

/** Thrown by `validateConfig` and `mergeConfig`; lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(`Invalid PPO config:\n${problems.map((p) => `  - ${p.field}: ${p.reason}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * The problems of single fields, by the table's checks: every field of `values` that the table
 * declares (`names`: only those top-level fields).
 */
export function fieldProblems(
  values: Readonly<Record<string, unknown>>,
  names: readonly string[] = Object.keys(CONFIG_FIELDS),
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const { name, path, field } of CONFIG_FIELD_LIST) {
    if (!names.includes(path[0])) continue;
    let value: unknown = values;
    for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
    const reason = field.check(value);
    if (reason !== null) problems.push({ field: name, reason });
  }
  return problems;
}

/** The action space as the policy sees it, for the compatibility check. */
export interface ActionSpaceInfo {
  kind: "discrete" | "box" | "other";
  description: string;
  /** Discrete: number of actions; box: flattened dimension. */
  size: number;
  /** Box only: whether every bound is finite (the action is clipped to it). */
  bounded?: boolean;
}

export interface ObservationSpaceInfo {
  kind: "box" | "image" | "other";
  description: string;
  shape: readonly number[];
}

/** Derived sizes: CleanRL's `batch_size`, `minibatch_size` and `num_iterations`. */
export function batchSizes(
  config: Pick<PPOConfig, "numEnvs" | "numSteps" | "numMinibatches" | "totalTimesteps">,
): {
  batchSize: number;
  minibatchSize: number;
  numIterations: number;
} {
  const batchSize = config.numEnvs * config.numSteps;
  return {
    batchSize,
    minibatchSize: Math.floor(batchSize / config.numMinibatches),
    numIterations: Math.floor(config.totalTimesteps / batchSize),
  };
}

/** The batch must split into minibatches of at least 2 samples (fields already checked one by one). */
export function minibatchProblems(
  config: Pick<PPOConfig, "numEnvs" | "numSteps" | "numMinibatches">,
): ConfigProblem[] {
  const { numEnvs, numSteps, numMinibatches } = config;
  const batchSize = numEnvs * numSteps;
  const problems: ConfigProblem[] = [];
  if (batchSize % numMinibatches !== 0)
    problems.push({
      field: "numMinibatches",
      reason: `the batch (numEnvs * numSteps = ${numEnvs} * ${numSteps} = ${batchSize}) is not divisible by numMinibatches = ${numMinibatches}`,
    });
  if (batchSize / numMinibatches < 2)
    problems.push({
      field: "numMinibatches",
      reason: `minibatches of ${batchSize / numMinibatches} sample(s) cannot normalize advantages; need at least 2`,
    });
  return problems;
}

/** The fields the batch rules read: those rules run once these are valid. */
const BATCH_FIELDS = ["numEnvs", "numSteps", "numMinibatches", "totalTimesteps"];

/** Whether the policy can serve the env's spaces. */
function spaceProblems(
  config: PPOConfig,
  observation: ObservationSpaceInfo,
  action: ActionSpaceInfo,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const fail = (field: string, reason: string) => problems.push({ field, reason });
  const { envId, policy } = config;
  if (action.kind === "other")
    fail(
      "envId",
      `${envId} has action space ${action.description}; the PPO policy serves Discrete and Box actions only`,
    );
  if (action.kind === "box" && action.bounded === false)
    fail(
      "envId",
      `${envId} has an unbounded action space ${action.description}; actions are clipped to the space, so it needs finite bounds`,
    );
  if (observation.kind === "other")
    fail(
      "envId",
      `${envId} has observation space ${observation.description}; the PPO policy needs a Box observation`,
    );
  if (policy.kind === "mlp" && observation.kind === "image")
    fail(
      "policy.kind",
      `"mlp" reads vector observations; ${envId} observes frames ${observation.description}: use "nature-cnn"`,
    );
  if (policy.kind === "nature-cnn" && observation.kind !== "image")
    fail(
      "policy.kind",
      `"nature-cnn" needs stacked 84x84 uint8 frames (shape [4, 84, 84]); ${envId} observes ${observation.description}`,
    );
  if (policy.kind === "nature-cnn" && action.kind !== "discrete")
    fail(
      "policy.kind",
      `"nature-cnn" has a Categorical head; ${envId} has action space ${action.description}`,
    );
  return problems;
}

/**
 * Checks every field (and, given the env's spaces, that the policy can serve them); throws a
 * ConfigError naming each field that is wrong and why.
 */
export function validateConfig(
  config: PPOConfig,
  spaces?: { observation: ObservationSpaceInfo; action: ActionSpaceInfo },
): void {
  const problems = fieldProblems(config);
  if (!problems.some((p) => BATCH_FIELDS.includes(p.field))) {
    problems.push(...minibatchProblems(config));
    const { batchSize, numIterations } = batchSizes(config);
    if (numIterations < 1)
      problems.push({
        field: "totalTimesteps",
        reason: `${config.totalTimesteps} is less than one batch (numEnvs * numSteps = ${batchSize})`,
      });
  }
  if (spaces) problems.push(...spaceProblems(config, spaces.observation, spaces.action));
  if (problems.length > 0) throw new ConfigError(problems);
}
