/**
 * What the dependencies must give: every production dependency supports the Node versions
 * package.json promises (else `npm install` warns, EBADENGINE, on a Node we promise), but for the
 * exceptions named below with why; and planck places a polygon's centre of mass where it is
 * (planck 1.4.2, the last to declare Node 14+, adds the centre's x to its y; 1.4.3 fixed it and
 * declares Node 24+).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Polygon, World } from "planck";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { LANDER_POLY, LunarLander, SCALE } from "../src/envs/box2d/lunar_lander.js";

const repo = join(import.meta.dirname, "..");
const readJson = (file: string) => JSON.parse(readFileSync(join(repo, file), "utf8"));

/**
 * Packages whose declared Node range is narrower than ours, and why we take them anyway. planck:
 * only releases declaring Node >= 24 place a polygon's centre of mass right (the test below), and
 * their code runs on Node 20: CI runs this suite, LunarLander's included, on Node 20.
 */
const ENGINE_EXCEPTIONS: Record<string, string> = { planck: ">=24.0" };

interface LockedPackage {
  version?: string;
  dev?: boolean;
  engines?: { node?: string };
}

describe("dependencies", () => {
  it("promise at least the Node versions package.json promises (read from package-lock.json)", () => {
    const promised: string = readJson("package.json").engines.node;
    const lock = readJson("package-lock.json") as { packages: Record<string, LockedPackage> };
    expect(lock.packages[""].engines?.node).toBe(promised);
    const disagreeing = Object.entries(lock.packages)
      .filter(([path, pkg]) => path !== "" && pkg.dev !== true && pkg.engines?.node !== undefined)
      .filter(([, pkg]) => !semver.subset(promised, pkg.engines?.node as string))
      .filter(([path, pkg]) => ENGINE_EXCEPTIONS[path.replace(/^node_modules\//, "")] !== pkg.engines?.node)
      .map(
        ([path, pkg]) =>
          `${path.replace(/^node_modules\//, "")}@${pkg.version} wants node ${pkg.engines?.node}`,
      );
    expect(disagreeing, `package.json promises node ${promised}`).toEqual([]);
  });

  it("planck puts a polygon's centre of mass at its centroid (the lander's hexagon)", () => {
    const vertices = LANDER_POLY.map(([x, y]) => ({ x: x / SCALE, y: y / SCALE }));
    // The centroid by the shoelace formula.
    let area = 0;
    let cx = 0;
    let cy = 0;
    vertices.forEach((a, i) => {
      const b = vertices[(i + 1) % vertices.length];
      const cross = a.x * b.y - b.x * a.y;
      area += cross / 2;
      cx += ((a.x + b.x) * cross) / 6;
      cy += ((a.y + b.y) * cross) / 6;
    });
    const body = new World().createDynamicBody({ position: { x: 3, y: 5 } });
    body.createFixture({ shape: new Polygon(vertices), density: 5 });
    expect(body.getLocalCenter().x).toBeCloseTo(cx / area, 12);
    expect(body.getLocalCenter().y).toBeCloseTo(cy / area, 12);
    expect(body.getMass()).toBeCloseTo(5 * area, 12);

    const env = new LunarLander();
    env.reset({ seed: 0 });
    expect(env.lander?.getLocalCenter().y).toBeCloseTo(cy / area, 12);
    env.close();
  });
});
