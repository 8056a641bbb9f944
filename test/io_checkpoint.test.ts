import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RunDirectory } from "../src/run/directory.js";
import { writeFileAtomic } from "../src/run/files.js";
import { CheckpointSchedule } from "../src/run/schedule.js";

const files = (n: number) => ({ model: new Uint8Array([n, n, n]), state: `{"n":${n}}` });

describe("checkpoint files", () => {
  it("replaces checkpoint/ whole, leaving no temporary directory behind", () => {
    const run = mkdtempSync(join(tmpdir(), "ppo-ckpt-"));
    new RunDirectory(run).writeCheckpoint(files(1));
    new RunDirectory(run).writeCheckpoint(files(2));
    expect(readdirSync(run)).toEqual(["checkpoint"]);
    const read = new RunDirectory(run).readCheckpoint();
    expect(read.dir).toBe(join(run, "checkpoint"));
    expect(Array.from(read.model)).toEqual([2, 2, 2]);
    expect(read.state).toBe('{"n":2}');
  });

  it("reads the previous checkpoint when a crash came between the two renames", () => {
    const run = mkdtempSync(join(tmpdir(), "ppo-ckpt-"));
    new RunDirectory(run).writeCheckpoint(files(1));
    // The state a kill leaves after `checkpoint/` became `checkpoint.old/`, with a half-written
    // `checkpoint.tmp/` (its state file missing).
    renameSync(join(run, "checkpoint"), join(run, "checkpoint.old"));
    mkdirSync(join(run, "checkpoint.tmp"));
    writeFileSync(join(run, "checkpoint.tmp", "model.safetensors"), "partial");
    expect(new RunDirectory(run).checkpointDir()).toBe(join(run, "checkpoint.old"));
    expect(new RunDirectory(run).readCheckpoint().state).toBe('{"n":1}');
    // The next checkpoint cleans up both.
    new RunDirectory(run).writeCheckpoint(files(3));
    expect(readdirSync(run)).toEqual(["checkpoint"]);
    expect(new RunDirectory(run).readCheckpoint().state).toBe('{"n":3}');
  });

  it("names the directory when there is no checkpoint", () => {
    const run = mkdtempSync(join(tmpdir(), "ppo-ckpt-"));
    expect(new RunDirectory(run).checkpointDir()).toBeNull();
    expect(() => new RunDirectory(run).readCheckpoint()).toThrow(
      `${join(run, "checkpoint")}: no checkpoint (expected model.safetensors and state.json)`,
    );
  });

  it("writes single files through a temporary file", () => {
    const dir = mkdtempSync(join(tmpdir(), "ppo-ckpt-"));
    const path = join(dir, "sub", "file.json");
    writeFileAtomic(path, "{}");
    writeFileAtomic(path, '{"a":1}');
    expect(readdirSync(join(dir, "sub"))).toEqual(["file.json"]);
    expect(existsSync(`${path}.tmp`)).toBe(false);
  });
});

describe("checkpoint schedule", () => {
  it("saves once `intervalSeconds` have passed since the last save, after every update with 0", () => {
    let now = 0;
    const saves: number[] = [];
    const schedule = new CheckpointSchedule(
      30,
      () => saves.push(now),
      () => now,
    );
    for (now = 10_000; now <= 70_000; now += 10_000) schedule.afterUpdate();
    expect(saves).toEqual([30_000, 60_000]);
    schedule.saveNow();
    expect(saves).toEqual([30_000, 60_000, now]);

    const everyUpdate: number[] = [];
    const eager = new CheckpointSchedule(
      0,
      () => everyUpdate.push(now),
      () => now,
    );
    eager.afterUpdate();
    eager.afterUpdate();
    expect(everyUpdate).toHaveLength(2);
  });
});
