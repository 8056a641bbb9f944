/**
 * The part of the WebGPU API the backend uses, declared here rather than through `@webgpu/types`
 * so that the package's type declarations stand alone; the flag values are the specification's
 * (`GPUBufferUsage`, `GPUMapMode`, `GPUShaderStage`), since in Node those globals exist only once
 * the `webgpu` package has put them there.
 */

export const BufferUsage = {
  MAP_READ: 0x1,
  COPY_SRC: 0x4,
  COPY_DST: 0x8,
  UNIFORM: 0x40,
  STORAGE: 0x80,
} as const;

export const MAP_READ = 0x1;
export const SHADER_STAGE_COMPUTE = 0x4;

export interface Gpu {
  requestAdapter(options?: {
    powerPreference?: "low-power" | "high-performance";
  }): Promise<GpuAdapter | null>;
}

export interface GpuAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}

export interface GpuAdapter {
  readonly limits: Record<string, number>;
  readonly features: { has(name: string): boolean };
  readonly info?: GpuAdapterInfo;
  requestDevice(descriptor?: {
    requiredLimits?: Record<string, number>;
    requiredFeatures?: string[];
  }): Promise<GpuDevice>;
}

export interface GpuBuffer {
  readonly size: number;
  mapAsync(mode: number, offset?: number, size?: number): Promise<void>;
  getMappedRange(offset?: number, size?: number): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}

export interface GpuShaderModule {
  getCompilationInfo?(): Promise<{ messages: readonly { type: string; message: string; lineNum: number }[] }>;
}

export type GpuBindGroupLayout = object;
export type GpuPipelineLayout = object;
export type GpuBindGroup = object;

export interface GpuComputePipeline {
  getBindGroupLayout(index: number): GpuBindGroupLayout;
}

export interface GpuComputePass {
  setPipeline(pipeline: GpuComputePipeline): void;
  setBindGroup(index: number, group: GpuBindGroup, dynamicOffsets?: number[]): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}

export interface GpuCommandEncoder {
  beginComputePass(): GpuComputePass;
  copyBufferToBuffer(
    source: GpuBuffer,
    sourceOffset: number,
    target: GpuBuffer,
    targetOffset: number,
    size: number,
  ): void;
  clearBuffer(buffer: GpuBuffer, offset?: number, size?: number): void;
  finish(): object;
}

export interface GpuQueue {
  writeBuffer(
    buffer: GpuBuffer,
    offset: number,
    data: ArrayBufferView | ArrayBuffer,
    dataOffset?: number,
    size?: number,
  ): void;
  submit(commands: object[]): void;
  onSubmittedWorkDone(): Promise<void>;
}

export type GpuBufferBinding = {
  binding: number;
  resource: { buffer: GpuBuffer; offset?: number; size?: number };
};

export interface GpuDevice {
  readonly queue: GpuQueue;
  readonly limits: Record<string, number>;
  readonly lost: Promise<{ reason: string; message: string }>;
  createBuffer(descriptor: { size: number; usage: number; mappedAtCreation?: boolean }): GpuBuffer;
  createShaderModule(descriptor: { code: string }): GpuShaderModule;
  createBindGroupLayout(descriptor: {
    entries: {
      binding: number;
      visibility: number;
      buffer: { type: "uniform" | "storage" | "read-only-storage"; hasDynamicOffset?: boolean };
    }[];
  }): GpuBindGroupLayout;
  createPipelineLayout(descriptor: { bindGroupLayouts: GpuBindGroupLayout[] }): GpuPipelineLayout;
  createComputePipeline(descriptor: {
    layout: GpuPipelineLayout;
    compute: { module: GpuShaderModule; entryPoint: string };
  }): GpuComputePipeline;
  createBindGroup(descriptor: { layout: GpuBindGroupLayout; entries: GpuBufferBinding[] }): GpuBindGroup;
  createCommandEncoder(): GpuCommandEncoder;
  pushErrorScope(filter: "validation" | "out-of-memory" | "internal"): void;
  popErrorScope(): Promise<{ message: string } | null>;
  addEventListener?(type: "uncapturederror", listener: (event: { error: { message: string } }) => void): void;
  onuncapturederror?: ((event: { error: { message: string } }) => void) | null;
  destroy(): void;
}
