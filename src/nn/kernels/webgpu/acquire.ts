/**
 * Finding a GPU: the page's `navigator.gpu` in a browser; in Node, the optional `webgpu` package
 * (Google's Dawn), imported only when asked for, so that neither the default install nor a browser
 * bundle carries it. Every way of failing says what is missing rather than throwing a stack trace
 * from deep inside Dawn.
 */
import type { Gpu, GpuAdapter, GpuAdapterInfo, GpuDevice } from "./gpu.js";

/** The version of the `webgpu` package the backend is tested against (Dawn moves with Chrome). */
export const WEBGPU_PACKAGE = "webgpu@0.6.2";

/** No WebGPU device could be had; the message says what is missing. */
export class WebGpuUnavailableError extends Error {
  override readonly name = "WebGpuUnavailableError";
}

export interface AcquiredGpu {
  device: GpuDevice;
  adapter: GpuAdapter;
  /** The adapter in words: vendor, architecture, description. */
  description: string;
  /** Where it came from: "navigator.gpu" or the package. */
  source: string;
  /** Lets the process exit: destroys the device and drops the package's GPU object. */
  release(): void;
}

interface WebGpuPackage {
  create(options: string[]): Gpu;
  globals: Record<string, unknown>;
}

function isNode(): boolean {
  const process = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof process?.versions?.node === "string";
}

/** The package's GPU object (held while a device from it lives: Node does not exit meanwhile). */
async function nodeGpu(dawnOptions: readonly string[]): Promise<Gpu> {
  // A specifier in a variable: bundlers leave the import alone, and it runs only here, in Node.
  const specifier = "webgpu";
  let module: WebGpuPackage;
  try {
    module = (await import(specifier)) as WebGpuPackage;
  } catch (error) {
    throw new WebGpuUnavailableError(
      `WebGPU in Node needs the optional package "webgpu" (Google's Dawn, about 130 MB, not installed ` +
        `by default): run \`npm install ${WEBGPU_PACKAGE}\` (${(error as Error).message.split("\n")[0]})`,
    );
  }
  Object.assign(globalThis, module.globals);
  return module.create([...dawnOptions]);
}

function describe(info: GpuAdapterInfo | undefined): string {
  if (info === undefined) return "unknown adapter";
  const parts = [info.vendor, info.architecture, info.device, info.description].filter(
    (part) => part !== undefined && part !== "",
  );
  return parts.length > 0 ? parts.join(" ") : "unknown adapter";
}

/** Limits worth raising from WebGPU's defaults: big buffers for a whole batch of frames. */
const RAISED_LIMITS = ["maxStorageBufferBindingSize", "maxBufferSize"] as const;

/**
 * A WebGPU device: from `navigator.gpu` where there is one, else (in Node) from the `webgpu`
 * package with `dawnOptions` (e.g. `backend=vulkan`). Throws a `WebGpuUnavailableError` naming
 * what is missing: the package, WebGPU in this browser, or an adapter (a driver).
 */
export async function acquireGpu(dawnOptions: readonly string[] = []): Promise<AcquiredGpu> {
  let gpu = (globalThis as { navigator?: { gpu?: Gpu } }).navigator?.gpu;
  let source = "navigator.gpu";
  if (gpu === undefined) {
    if (!isNode()) {
      throw new WebGpuUnavailableError(
        "this browser has no WebGPU (navigator.gpu is missing): use a recent Chrome, Edge, Safari or " +
          "Firefox, on a page served over https or from localhost",
      );
    }
    gpu = await nodeGpu(dawnOptions);
    source = `the "webgpu" package`;
  }
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (adapter === null) {
    throw new WebGpuUnavailableError(
      source === "navigator.gpu"
        ? "navigator.gpu found no adapter: WebGPU is off or not supported for this GPU here (see chrome://gpu)"
        : `the "webgpu" package found no adapter: on Linux Dawn needs a Vulkan driver (libvulkan1 and the ` +
            "GPU's own driver; in a container NVIDIA_DRIVER_CAPABILITIES must include graphics; Mesa's " +
            "lavapipe before 23 is refused): check that `vulkaninfo --summary` lists the GPU",
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const limit = adapter.limits[name];
    if (typeof limit === "number") requiredLimits[name] = limit;
  }
  const device = await adapter.requestDevice({ requiredLimits });
  return {
    device,
    adapter,
    description: describe(adapter.info),
    source,
    release() {
      device.destroy();
      gpu = undefined;
    },
  };
}
