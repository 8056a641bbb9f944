/** The rasterizer's primitives, and the classic envs' `rgb_array` frames. */
import { describe, expect, it } from "vitest";
import type { Env, RgbFrame } from "../src/envs/core/env.js";
import { make } from "../src/envs/index.js";
import { BLACK, Canvas, type Color, rotateTranslate } from "../src/envs/rendering/index.js";

/** How much of each pixel is `color` drawn over white, summed over the canvas (in pixels). */
function coveredArea(canvas: Canvas): number {
  let total = 0;
  for (let i = 0; i < canvas.data.length; i += 3) total += (255 - canvas.data[i]) / 255;
  return total;
}

function countColor(frame: RgbFrame, color: Color): number {
  let count = 0;
  for (let i = 0; i < frame.data.length; i += 3) {
    if (frame.data[i] === color[0] && frame.data[i + 1] === color[1] && frame.data[i + 2] === color[2])
      count++;
  }
  return count;
}

function pixelAt(frame: RgbFrame, x: number, row: number): Color {
  const k = (row * frame.width + x) * 3;
  return [frame.data[k], frame.data[k + 1], frame.data[k + 2]];
}

describe("Canvas", () => {
  it("starts with the background and refuses bad sizes", () => {
    const canvas = new Canvas(4, 3, { background: [1, 2, 3] });
    expect(canvas.data.length).toBe(4 * 3 * 3);
    expect(canvas.pixel(3, 2)).toEqual([1, 2, 3]);
    expect(() => new Canvas(0, 10)).toThrow("Canvas: width and height must be positive integers, got 0x10");
  });

  it("fills a polygon's pixel centres exactly without anti-aliasing (half-open edges)", () => {
    const canvas = new Canvas(40, 40, { antialias: false });
    canvas.fillPolygon([10, 10, 20, 10, 20, 20, 10, 20], BLACK);
    expect(countColor(canvas.frame(), BLACK)).toBe(100);
    expect(canvas.pixel(10, 10)).toEqual(BLACK);
    expect(canvas.pixel(19, 19)).toEqual(BLACK);
    expect(canvas.pixel(20, 19)).toEqual([255, 255, 255]);
  });

  it("anti-aliased polygons cover their area, with partial pixels on slanted edges", () => {
    const canvas = new Canvas(60, 60);
    // A triangle of area 0.5 * 40 * 30 = 600.
    canvas.fillPolygon([5.3, 7.1, 45.3, 7.1, 5.3, 37.1], BLACK);
    expect(coveredArea(canvas)).toBeCloseTo(600, -1);
    const grey = canvas.frame().data.filter((v, i) => i % 3 === 0 && v > 0 && v < 255);
    expect(grey.length).toBeGreaterThan(40);
  });

  it("concave polygons are filled by the even-odd rule", () => {
    const canvas = new Canvas(30, 30, { antialias: false });
    // An L shape: 20x20 square minus its 10x10 top-right quarter.
    canvas.fillPolygon([0, 0, 10, 0, 10, 10, 20, 10, 20, 20, 0, 20], BLACK);
    expect(countColor(canvas.frame(), BLACK)).toBe(300);
    expect(canvas.pixel(15, 5)).toEqual([255, 255, 255]);
  });

  it("circles cover about π r²", () => {
    const sharp = new Canvas(50, 50, { antialias: false });
    sharp.fillCircle(25, 25, 10, BLACK);
    expect(countColor(sharp.frame(), BLACK) / (Math.PI * 100)).toBeCloseTo(1, 1);
    const smooth = new Canvas(50, 50);
    smooth.fillCircle(25, 25, 10, BLACK);
    expect(coveredArea(smooth) / (Math.PI * 100)).toBeCloseTo(1, 1);
    expect(smooth.pixel(25, 25)).toEqual(BLACK);
    expect(smooth.pixel(25, 37)).toEqual([255, 255, 255]);
  });

  it("lines have their width; hline and vline paint whole pixels", () => {
    const canvas = new Canvas(40, 40, { antialias: false });
    canvas.line(5, 20, 34, 20, BLACK, 3);
    // 30 pixels long (half a pixel past each end point) and 3 wide.
    expect(countColor(canvas.frame(), BLACK)).toBe(90);
    const lines = new Canvas(10, 10);
    lines.hline(2, 5, 1, BLACK);
    lines.vline(8, 3, 6, BLACK);
    expect(countColor(lines.frame(), BLACK)).toBe(4 + 4);
  });

  it("yUp measures y from the bottom row", () => {
    const canvas = new Canvas(10, 10, { yUp: true, antialias: false });
    canvas.fillCircle(2, 0, 0, BLACK);
    expect(pixelAt(canvas.frame(), 2, 9)).toEqual(BLACK);
    expect(canvas.pixel(2, 0)).toEqual(BLACK);
  });

  it("rotateTranslate turns counter-clockwise (y up) then moves", () => {
    const [x, y] = rotateTranslate([1, 0], Math.PI / 2, 10, 20);
    expect(x).toBeCloseTo(10, 12);
    expect(y).toBeCloseTo(21, 12);
  });
});

interface WithState {
  state: number[] | undefined;
}

function renderedEnv(id: string): Env & { unwrapped: Env & WithState } {
  const env = make(id, { renderMode: "rgb_array" });
  env.reset({ seed: 0 });
  return env as Env & { unwrapped: Env & WithState };
}

function setStateAndRender(env: Env & { unwrapped: Env & WithState }, state: number[]): RgbFrame {
  env.unwrapped.state = state;
  return env.render() as RgbFrame;
}

describe("classic-control frames", () => {
  it.each([
    ["CartPole-v1", 600, 400, 50],
    ["Acrobot-v1", 500, 500, 15],
    ["MountainCar-v0", 600, 400, 30],
    ["MountainCarContinuous-v0", 600, 400, 30],
    ["Pendulum-v1", 500, 500, 30],
  ])("%s: %dx%d at %d fps, and the frame follows the state", (id, width, height, fps) => {
    const env = renderedEnv(id);
    expect(env.metadata.renderModes).toEqual(["rgb_array"]);
    expect(env.metadata.renderFps).toBe(fps);
    const frame = env.render() as RgbFrame;
    expect(frame.width).toBe(width);
    expect(frame.height).toBe(height);
    expect(frame.data).toBeInstanceOf(Uint8Array);
    expect(frame.data.length).toBe(width * height * 3);
    const before = Uint8Array.from(frame.data);
    const state = env.unwrapped.state!.map((v, i) => (i === 0 ? v + 0.3 : v));
    expect(Buffer.from(setStateAndRender(env, state).data).equals(Buffer.from(before))).toBe(false);
  });

  it("CartPole: the cart, the pole and the axle where Gymnasium draws them", () => {
    const env = renderedEnv("CartPole-v1");
    const upright = setStateAndRender(env, [0, 0, 0, 0]);
    // Cart centre at x = 300, y = 100 from the bottom (row 299); 50x30 px.
    expect(pixelAt(upright, 285, 299 + 10)).toEqual([0, 0, 0]);
    expect(pixelAt(upright, 335, 299 + 10)).toEqual([255, 255, 255]);
    // The pole rises from the axle (y = 107.5) straight up, 10 px wide.
    expect(pixelAt(upright, 300, 299 - 60)).toEqual([202, 152, 101]);
    expect(pixelAt(upright, 310, 299 - 60)).toEqual([255, 255, 255]);
    expect(pixelAt(upright, 300, 399 - 107)).toEqual([129, 132, 203]);
    // The track.
    expect(pixelAt(upright, 20, 299)).toEqual([0, 0, 0]);

    // One metre right is 125 px right; a pole tilted right leans right.
    const moved = setStateAndRender(env, [1, 0, 0.2, 0]);
    expect(pixelAt(moved, 425, 299 + 10)).toEqual([0, 0, 0]);
    expect(pixelAt(moved, 285, 299 + 10)).toEqual([255, 255, 255]);
    expect(
      pixelAt(moved, 425 + Math.round(100 * Math.sin(0.2)), 399 - 107 - Math.round(100 * Math.cos(0.2))),
    ).toEqual([202, 152, 101]);
  });

  it("Acrobot: links hanging down, joints, and the goal line", () => {
    const env = renderedEnv("Acrobot-v1");
    const frame = setStateAndRender(env, [0, 0, 0, 0]);
    const scale = 500 / 4.4;
    expect(pixelAt(frame, 250, 249)).toEqual([204, 204, 0]);
    expect(pixelAt(frame, 250, Math.round(249 + scale / 2))).toEqual([0, 204, 204]);
    expect(pixelAt(frame, 250, Math.round(249 + scale))).toEqual([204, 204, 0]);
    expect(pixelAt(frame, 250, 249 - 40)).toEqual([255, 255, 255]);
    const goalRow = Math.round(499 - (250 + scale));
    expect(pixelAt(frame, 50, goalRow)).toEqual([0, 0, 0]);
  });

  it("MountainCar: the car on the track and the yellow flag at the goal", () => {
    for (const [id, goal] of [
      ["MountainCar-v0", 0.5],
      ["MountainCarContinuous-v0", 0.45],
    ] as const) {
      const env = renderedEnv(id);
      const frame = setStateAndRender(env, [-0.5, 0]);
      const scale = 600 / (0.6 - -1.2);
      const height = (x: number) => Math.sin(3 * x) * 0.45 + 0.55;
      const carX = Math.round(0.7 * scale);
      expect(pixelAt(frame, carX, Math.round(399 - (10 + height(-0.5) * scale + 16)))).toEqual([0, 0, 0]);
      const flagX = Math.trunc((goal + 1.2) * scale);
      const flagTop = Math.trunc(height(goal) * scale) + 50;
      expect(pixelAt(frame, flagX + 8, 399 - (flagTop - 5))).toEqual([204, 204, 0]);
      expect(pixelAt(frame, flagX, 399 - (flagTop - 25))).toEqual([0, 0, 0]);
    }
  });

  it("Pendulum: the rod points up at θ = 0; a torque adds the arrow", () => {
    const env = renderedEnv("Pendulum-v1");
    const frame = setStateAndRender(env, [0, 0]);
    expect(pixelAt(frame, 250, 249)).toEqual([0, 0, 0]);
    expect(pixelAt(frame, 250, 249 - 60)).toEqual([204, 77, 77]);
    expect(pixelAt(frame, 250, 249 + 60)).toEqual([255, 255, 255]);
    const blackBefore = countColor(frame, [0, 0, 0]);
    env.step(Float32Array.of(2));
    env.unwrapped.state = [0, 0];
    const withArrow = env.render() as RgbFrame;
    expect(countColor(withArrow, [0, 0, 0])).toBeGreaterThan(blackBefore + 200);
  });

  it("render() without a renderMode returns undefined, as Gymnasium", () => {
    const env = make("CartPole-v1");
    env.reset({ seed: 0 });
    expect(env.render()).toBeUndefined();
  });
});
