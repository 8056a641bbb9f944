/**
 * Modules, as `torch.nn`: a module's parameters and submodules are its properties, found in the
 * order they were assigned, so that names follow PyTorch's state_dict (`critic.0.weight`). A
 * parameter is a leaf tensor with `requiresGrad`; `Sequential` names its layers 0, 1, 2, ...
 */
import type { Rng } from "../util/seeding.js";
import { kaimingUniform_, uniform_ } from "./init.js";
import type { DeviceBackend } from "./kernels/backend.js";
import { conv2d, flatten, linear, relu, tanh } from "./ops/index.js";
import { defaultRng } from "./random.js";
import { Tensor } from "./tensor.js";

/** A name-to-tensor map, as PyTorch's state_dict. */
export type StateDict = Record<string, Tensor>;

/** Anything that maps a tensor to a tensor; what `Sequential` chains. */
export interface Layer {
  forward(x: Tensor): Tensor;
}

export class Module {
  /** The submodules with their names; properties holding a module by default. */
  namedChildren(): [string, Module][] {
    const children: [string, Module][] = [];
    for (const [name, value] of Object.entries(this))
      if (value instanceof Module) children.push([name, value]);
    return children;
  }

  /** This module's own parameters (not its children's): properties holding a leaf that requires a gradient. */
  ownParameters(): [string, Tensor][] {
    const params: [string, Tensor][] = [];
    for (const [name, value] of Object.entries(this)) {
      if (value instanceof Tensor && value.requiresGrad && value.isLeaf) params.push([name, value]);
    }
    return params;
  }

  /** Every parameter with its dotted name, this module's first, then each child's in order. */
  namedParameters(prefix = ""): [string, Tensor][] {
    const named: [string, Tensor][] = this.ownParameters().map(([name, t]) => [prefix + name, t]);
    for (const [name, child] of this.namedChildren())
      named.push(...child.namedParameters(`${prefix}${name}.`));
    return named;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** The parameters by name; the tensors themselves (clone them to keep a snapshot). */
  stateDict(): StateDict {
    return Object.fromEntries(this.namedParameters());
  }

  /**
   * Moves the parameters onto `device` in place (they stay the same tensors, as in PyTorch's
   * `module.to(device)`); make optimizers after. Returns this module.
   */
  to(device: DeviceBackend): this {
    for (const param of this.parameters()) if (param.device !== device) param.moveTo(device);
    return this;
  }

  /** Where the parameters live: a GPU, or null for the CPU. */
  get device(): DeviceBackend | null {
    return this.parameters()[0]?.device ?? null;
  }

  /**
   * Copies values (tensors on the CPU) into the parameters, wherever they live. Every parameter
   * must be present with its exact shape; with `strict` (the default) no other names may be
   * present either.
   */
  loadStateDict(state: StateDict, strict = true): void {
    const problems: string[] = [];
    const params = this.namedParameters();
    const known = new Set(params.map(([name]) => name));
    const missing = params.filter(([name]) => !(name in state)).map(([name]) => name);
    if (missing.length > 0) problems.push(`missing: ${missing.join(", ")}`);
    if (strict) {
      const unexpected = Object.keys(state).filter((name) => !known.has(name));
      if (unexpected.length > 0) problems.push(`unexpected: ${unexpected.join(", ")}`);
    }
    for (const [name, param] of params) {
      const source = state[name];
      if (source !== undefined && !sameShape(source.shape, param.shape)) {
        problems.push(
          `${name} has shape [${source.shape.join(", ")}] but the model's is [${param.shape.join(", ")}]`,
        );
      }
    }
    if (problems.length > 0) throw new Error(`loadStateDict: ${problems.join("; ")}`);
    for (const [name, param] of params) param.set(state[name].data);
  }

  /** Zeroes every parameter's gradient. */
  zeroGrad(): void {
    for (const param of this.parameters()) param.grad?.zero_();
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A new parameter: a kept leaf that requires a gradient. */
export function parameter(shape: readonly number[]): Tensor {
  return Tensor.zeros(shape, true).keep();
}

export interface LinearOptions {
  bias?: boolean;
  /** The generator for PyTorch's default initialization; the default generator if absent. */
  rng?: Rng;
}

/** y = x W^T + b, weight (out, in) as PyTorch's `nn.Linear`, and initialized as it is. */
export class Linear extends Module implements Layer {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    const rng = options.rng ?? defaultRng();
    this.weight = kaimingUniform_(parameter([outFeatures, inFeatures]), Math.sqrt(5), rng);
    const bound = 1 / Math.sqrt(inFeatures);
    this.bias = (options.bias ?? true) ? uniform_(parameter([outFeatures]), -bound, bound, rng) : null;
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

export interface Conv2dOptions {
  stride?: number;
  bias?: boolean;
  rng?: Rng;
}

/** NCHW convolution without padding, weight (out, in, kh, kw), as PyTorch's `nn.Conv2d`. */
export class Conv2d extends Module implements Layer {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly stride: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | [number, number],
    options: Conv2dOptions = {},
  ) {
    super();
    const [kh, kw] = typeof kernelSize === "number" ? [kernelSize, kernelSize] : kernelSize;
    const rng = options.rng ?? defaultRng();
    this.stride = options.stride ?? 1;
    this.weight = kaimingUniform_(parameter([outChannels, inChannels, kh, kw]), Math.sqrt(5), rng);
    const bound = 1 / Math.sqrt(inChannels * kh * kw);
    this.bias = (options.bias ?? true) ? uniform_(parameter([outChannels]), -bound, bound, rng) : null;
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.stride);
  }
}

/** Layers applied in order; their names are their positions. */
export class Sequential extends Module implements Layer {
  readonly layers: (Module & Layer)[];

  constructor(...layers: (Module & Layer)[]) {
    super();
    this.layers = layers;
  }

  override namedChildren(): [string, Module][] {
    return this.layers.map((layer, i) => [String(i), layer]);
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const layer of this.layers) y = layer.forward(y);
    return y;
  }
}

export class Tanh extends Module implements Layer {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class ReLU extends Module implements Layer {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** Flattens all dimensions after the first (the batch). */
export class Flatten extends Module implements Layer {
  forward(x: Tensor): Tensor {
    return flatten(x, 1);
  }
}
