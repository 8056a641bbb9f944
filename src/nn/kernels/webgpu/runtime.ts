/**
 * The device layer: buffers, pipelines, bind groups and the command stream of one WebGPU device.
 *
 * - Storage comes from a pool of buffers kept by size: a training step asks for the same sizes
 *   every time and gets the same buffers back, so nothing is created once the first step is done.
 * - Each kernel is compiled once (keyed by its generated source) with an explicit layout: binding 0
 *   is a uniform block at a dynamic offset, the others whole storage buffers. Offsets into the
 *   buffers travel in the uniforms, so bind groups depend only on which buffers a dispatch uses,
 *   and are made once per combination and reused.
 * - Dispatches go into one command encoder (one compute pass) until a sync point, a read or
 *   `flush()`; each one's uniforms get their own slot of an arena written once per submission.
 * - Small uploads are staged the same way and copied in stream order (a buffer given back to the
 *   pool and handed out again is never overwritten before the work queued on its old contents).
 */
import {
  BufferUsage,
  type GpuBindGroup,
  type GpuBindGroupLayout,
  type GpuBuffer,
  type GpuCommandEncoder,
  type GpuComputePass,
  type GpuComputePipeline,
  type GpuDevice,
  MAP_READ,
  SHADER_STAGE_COMPUTE,
} from "./gpu.js";

/** Bytes of one dispatch's uniforms: the largest parameter block any kernel declares. */
export const PARAM_BYTES = 256;
const PARAM_WORDS = PARAM_BYTES / 4;
/** Uniform slots per submission; a step needing more is submitted in parts. */
const PARAM_SLOTS = 4096;
/** Bytes staged for uploads per submission; a larger upload is written directly after a flush. */
const STAGING_BYTES = 4 << 20;
/** Pooled buffers hold a multiple of this many floats, so that nearby sizes share buffers. */
const POOL_GRANULE = 64;
/** Workgroups per grid dimension (WebGPU's default limit). */
export const MAX_GROUPS = 65535;
/** Bind groups kept; past this the cache starts over (buffers of finished shapes). */
const MAX_BIND_GROUPS = 8192;

let nextBufferId = 1;

/**
 * A span of floats in one device buffer: what a tensor on the GPU holds. Pooled arrays own their
 * buffer (`root` is null); slices of one (parameters packed together) share it and are not freed.
 */
export class GpuArray {
  /** Parameters packed into this array (see `slice`); 0 for ordinary storage. */
  members = 0;

  constructor(
    readonly buffer: GpuBuffer,
    readonly bufferId: number,
    /** Where it starts in the buffer, in floats. */
    readonly offset: number,
    readonly length: number,
    readonly root: GpuArray | null,
  ) {}

  /** `length` floats from `offset` (relative to this array), sharing the buffer; counted as a member. */
  slice(offset: number, length: number): GpuArray {
    if (offset < 0 || offset + length > this.length) throw new RangeError("GpuArray.slice out of range");
    this.members++;
    return new GpuArray(this.buffer, this.bufferId, this.offset + offset, length, this);
  }
}

/** How a kernel uses a storage binding. */
export type Access = "read" | "write";

/** A compiled compute pipeline with its binding layout. */
export interface Kernel {
  readonly id: number;
  readonly pipeline: GpuComputePipeline;
  readonly layout: GpuBindGroupLayout;
  readonly access: readonly Access[];
}

/** Writes one dispatch's uniforms, word by word as the kernel's `Params` struct lays them out. */
export class ParamWriter {
  private base = 0;

  constructor(
    private readonly words: Uint32Array,
    private readonly floats: Float32Array,
  ) {}

  /** @internal Starts a zeroed block at word `base`. */
  reset(base: number): this {
    this.base = base;
    this.words.fill(0, base, base + PARAM_WORDS);
    return this;
  }

  u32(word: number, value: number): this {
    this.words[this.base + word] = value;
    return this;
  }

  f32(word: number, value: number): this {
    this.floats[this.base + word] = value;
    return this;
  }
}

/** Workgroups for `count` groups of work: x up to the limit, the rest in y. */
export function grid(count: number): [number, number] {
  if (count <= MAX_GROUPS) return [Math.max(count, 1), 1];
  return [MAX_GROUPS, Math.ceil(count / MAX_GROUPS)];
}

/** WGSL for the flat index of a workgroup in a `grid` (needs `wg` and `groups` builtins). */
export const GROUP_INDEX = "(wg.x + wg.y * groups.x)";

export class GpuRuntime {
  private readonly pool = new Map<number, GpuArray[]>();
  private readonly readBuffers = new Map<number, GpuBuffer[]>();
  private readonly kernels = new Map<string, Kernel>();
  private readonly bindGroups = new Map<string, GpuBindGroup>();
  private readonly uniforms: GpuBuffer;
  private readonly uniformWords = new Uint32Array(PARAM_SLOTS * PARAM_WORDS);
  private readonly writer = new ParamWriter(this.uniformWords, new Float32Array(this.uniformWords.buffer));
  private slots = 0;
  private currentSlot = -1;
  private readonly staging: GpuBuffer;
  private readonly stagingBytes = new Uint8Array(STAGING_BYTES);
  private stagingUsed = 0;
  private encoder: GpuCommandEncoder | null = null;
  private pass: GpuComputePass | null = null;
  private error: string | null = null;
  private fillKernel: Kernel | null = null;
  private spareArray: GpuArray | null = null;
  /** Bytes held by pooled buffers. */
  bytesAllocated = 0;
  /** Submissions so far (a test counts them per step). */
  submissions = 0;

  constructor(readonly device: GpuDevice) {
    this.uniforms = device.createBuffer({
      size: PARAM_SLOTS * PARAM_BYTES,
      usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
    });
    this.staging = device.createBuffer({
      size: STAGING_BYTES,
      usage: BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
    });
    const record = (event: { error: { message: string } }) => {
      this.error ??= event.error.message;
    };
    if (device.addEventListener !== undefined) device.addEventListener("uncapturederror", record);
    else device.onuncapturederror = record;
    void device.lost.then((info) => {
      this.error ??= `the WebGPU device was lost: ${info.message || info.reason}`;
    });
  }

  /** Throws the first error the device reported (a shader that did not compile, a lost device). */
  checkErrors(): void {
    if (this.error !== null) throw new Error(`WebGPU: ${this.error}`);
  }

  // Storage.

  /** `length` floats of storage; zeroed unless `zeroed` is false (an op's output, overwritten whole). */
  alloc(length: number, zeroed = true): GpuArray {
    const floats = Math.max(POOL_GRANULE, Math.ceil(length / POOL_GRANULE) * POOL_GRANULE);
    let array = this.pool.get(floats)?.pop();
    if (array === undefined) {
      const buffer = this.device.createBuffer({
        size: floats * 4,
        usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
      });
      this.bytesAllocated += floats * 4;
      array = new GpuArray(buffer, nextBufferId++, 0, floats, null);
    }
    const result =
      length === array.length ? array : new GpuArray(array.buffer, array.bufferId, 0, length, null);
    pooledLength.set(result, floats);
    if (zeroed && length > 0) this.fill(result, 0);
    return result;
  }

  /** Gives pooled storage back; slices (packed parameters) belong to their array and are ignored. */
  free(array: GpuArray): void {
    if (array.root !== null) return;
    const floats = pooledLength.get(array);
    if (floats === undefined) return;
    pooledLength.delete(array);
    let list = this.pool.get(floats);
    if (list === undefined) {
      list = [];
      this.pool.set(floats, list);
    }
    list.push(new GpuArray(array.buffer, array.bufferId, 0, floats, null));
  }

  /** A small array for a binding a kernel variant does not use (bindings must not alias a written one). */
  spare(): GpuArray {
    this.spareArray ??= this.alloc(POOL_GRANULE, false);
    return this.spareArray;
  }

  /** Copies `values` into `target` from float `at`, in stream order. */
  upload(target: GpuArray, values: Float32Array | Uint32Array, at = 0): void {
    const bytes = values.byteLength;
    if (bytes === 0) return;
    if (at + values.length > target.length) throw new RangeError("upload: values overrun the target");
    const targetOffset = (target.offset + at) * 4;
    const source = new Uint8Array(values.buffer, values.byteOffset, bytes);
    if (bytes > STAGING_BYTES / 4) {
      // Large: everything queued so far goes first, then the write lands before anything after.
      this.flush();
      this.device.queue.writeBuffer(target.buffer, targetOffset, source);
      return;
    }
    if (this.stagingUsed + bytes > STAGING_BYTES) this.flush();
    const from = this.stagingUsed;
    this.stagingBytes.set(source, from);
    this.stagingUsed = from + Math.ceil(bytes / 16) * 16;
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(this.staging, from, target.buffer, targetOffset, bytes);
  }

  /** Copies `length` floats between arrays, in stream order. */
  copy(source: GpuArray, sourceAt: number, target: GpuArray, targetAt: number, length: number): void {
    if (length === 0) return;
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(
      source.buffer,
      (source.offset + sourceAt) * 4,
      target.buffer,
      (target.offset + targetAt) * 4,
      length * 4,
    );
  }

  /** Zeroes `arrays` with the copy engine, in stream order: one break of the compute pass for all. */
  clear(arrays: readonly GpuArray[]): void {
    if (arrays.length === 0) return;
    this.endPass();
    const encoder = this.commandEncoder();
    for (const array of arrays) {
      if (array.length > 0) encoder.clearBuffer(array.buffer, array.offset * 4, array.length * 4);
    }
  }

  /** Sets every element of `target` to `value`. */
  fill(target: GpuArray, value: number): void {
    this.fillKernel ??= this.kernel(FILL_SHADER, FILL_SHADER, ["write"]);
    this.params().u32(0, target.offset).u32(1, target.length).f32(2, value);
    const [x, y] = grid(Math.ceil(target.length / 256));
    this.dispatch(this.fillKernel, [target], x, y);
  }

  /**
   * The values of `arrays`, copied out after all the work queued before: one staging buffer, one
   * submission and one wait for all of them.
   */
  async read(arrays: readonly GpuArray[]): Promise<Float32Array[]> {
    const offsets: number[] = [];
    let bytes = 0;
    for (const array of arrays) {
      offsets.push(bytes);
      bytes += array.length * 4;
    }
    if (bytes === 0) return arrays.map(() => new Float32Array(0));
    this.endPass();
    const encoder = this.commandEncoder();
    const staging = this.readBuffer(bytes);
    arrays.forEach((array, i) => {
      if (array.length > 0)
        encoder.copyBufferToBuffer(array.buffer, array.offset * 4, staging, offsets[i], array.length * 4);
    });
    this.flush();
    await staging.mapAsync(MAP_READ, 0, bytes);
    const all = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
    staging.unmap();
    this.readBuffers.get(staging.size)?.push(staging);
    this.checkErrors();
    return arrays.map((array, i) => all.subarray(offsets[i] / 4, offsets[i] / 4 + array.length));
  }

  private readBuffer(bytes: number): GpuBuffer {
    const size = Math.max(256, 2 ** Math.ceil(Math.log2(bytes)));
    let list = this.readBuffers.get(size);
    if (list === undefined) {
      list = [];
      this.readBuffers.set(size, list);
    }
    return (
      list.pop() ?? this.device.createBuffer({ size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST })
    );
  }

  // Kernels and dispatches.

  /**
   * The compiled kernel for `source` (a `Params` uniform at binding 0, then storage bindings),
   * known by `key`: a generated kernel is looked up by a short key and its source written only the
   * first time (a fixed source is its own key: a constant string's hash is computed once).
   */
  kernel(key: string, source: string | (() => string), access: readonly Access[]): Kernel {
    let kernel = this.kernels.get(key);
    if (kernel === undefined) {
      const device = this.device;
      const layout = device.createBindGroupLayout({
        entries: [
          {
            binding: 0,
            visibility: SHADER_STAGE_COMPUTE,
            buffer: { type: "uniform", hasDynamicOffset: true },
          },
          ...access.map((use, i) => ({
            binding: i + 1,
            visibility: SHADER_STAGE_COMPUTE,
            buffer: { type: use === "write" ? ("storage" as const) : ("read-only-storage" as const) },
          })),
        ],
      });
      const module = device.createShaderModule({ code: typeof source === "string" ? source : source() });
      const pipeline = device.createComputePipeline({
        layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: "main" },
      });
      kernel = { id: this.kernels.size + 1, pipeline, layout, access };
      this.kernels.set(key, kernel);
    }
    return kernel;
  }

  /** A fresh zeroed uniform block for the next dispatch. */
  params(): ParamWriter {
    if (this.slots === PARAM_SLOTS) this.flush();
    this.currentSlot = this.slots++;
    return this.writer.reset(this.currentSlot * PARAM_WORDS);
  }

  /** Queues `kernel` over `arrays` (in binding order) with the uniforms just written by `params()`. */
  dispatch(kernel: Kernel, arrays: readonly GpuArray[], x: number, y = 1, z = 1): void {
    if (this.currentSlot < 0) throw new Error("dispatch without params()");
    if (arrays.length !== kernel.access.length)
      throw new Error(`kernel takes ${kernel.access.length} arrays, given ${arrays.length}`);
    const pass = this.computePass();
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, this.bindGroup(kernel, arrays), [this.currentSlot * PARAM_BYTES]);
    pass.dispatchWorkgroups(x, y, z);
    this.currentSlot = -1;
  }

  private bindGroup(kernel: Kernel, arrays: readonly GpuArray[]): GpuBindGroup {
    let key = String(kernel.id);
    for (const array of arrays) key += `,${array.bufferId}`;
    let group = this.bindGroups.get(key);
    if (group === undefined) {
      if (this.bindGroups.size >= MAX_BIND_GROUPS) this.bindGroups.clear();
      group = this.device.createBindGroup({
        layout: kernel.layout,
        entries: [
          { binding: 0, resource: { buffer: this.uniforms, offset: 0, size: PARAM_BYTES } },
          ...arrays.map((array, i) => ({ binding: i + 1, resource: { buffer: array.buffer } })),
        ],
      });
      this.bindGroups.set(key, group);
    }
    return group;
  }

  private commandEncoder(): GpuCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder();
    return this.encoder;
  }

  private computePass(): GpuComputePass {
    this.pass ??= this.commandEncoder().beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** Submits everything queued: a sync point. */
  flush(): void {
    if (this.encoder === null) return;
    this.endPass();
    const queue = this.device.queue;
    if (this.slots > 0) queue.writeBuffer(this.uniforms, 0, this.uniformWords, 0, this.slots * PARAM_WORDS);
    if (this.stagingUsed > 0) queue.writeBuffer(this.staging, 0, this.stagingBytes, 0, this.stagingUsed);
    queue.submit([this.encoder.finish()]);
    this.submissions++;
    this.encoder = null;
    this.slots = 0;
    this.stagingUsed = 0;
  }
}

/** The pooled size of each array handed out (the bucket it goes back to). */
const pooledLength = new WeakMap<GpuArray, number>();

const FILL_SHADER = /* wgsl */ `
struct Params { offset: u32, length: u32, value: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let i = ${GROUP_INDEX} * 256u + li;
  if (i < p.length) { dst[p.offset + i] = p.value; }
}
`;
