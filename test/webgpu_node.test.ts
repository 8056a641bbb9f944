/**
 * WebGPU in Node: through the optional `webgpu` package, loaded only when asked for. Where the
 * package is absent, or finds no adapter (Debian 12's lavapipe is refused by Dawn), asking for the
 * backend fails with a message naming what is missing, not a stack trace from inside Dawn.
 */
import { describe, expect, it } from "vitest";
import { createWebGpuBackend, WebGpuUnavailableError } from "../src/nn/kernels/webgpu/index.js";

describe("WebGPU in Node", () => {
  it("gives a device where the package finds an adapter, else says what is missing", async () => {
    let backend: Awaited<ReturnType<typeof createWebGpuBackend>> | null = null;
    try {
      backend = await createWebGpuBackend();
    } catch (error) {
      expect(error).toBeInstanceOf(WebGpuUnavailableError);
      const message = (error as Error).message;
      expect(message).toMatch(/npm install webgpu@\d|no adapter: on Linux Dawn needs a Vulkan driver/);
      console.warn(`no WebGPU in Node here (the GPU tests run in Chromium): ${message}`);
      return;
    }
    expect(backend.description).not.toBe("");
    backend.close();
  });
});
