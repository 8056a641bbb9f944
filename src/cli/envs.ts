import type { Command } from "commander";
import { make, registeredEnvs } from "../envs/index.js";

/**
 * `ppo-ts envs`: every registered id with its spaces, time limit and reward threshold. The time
 * limit is the registered TimeLimit in steps, or for the Atari ids ALE's own cap on the frames of an
 * episode (`maxNumFramesPerEpisode`: the env truncates the episode itself, without a TimeLimit).
 */
export function registerEnvsCommand(program: Command): void {
  program
    .command("envs")
    .description("list the registered environments with their spaces, time limit and reward threshold")
    .option("--json", "print JSON instead of a table")
    .action((opts: { json?: boolean }) => {
      const rows = registeredEnvs().map(([id, spec]) => {
        const spaces = describeSpaces(id);
        return {
          id,
          observationSpace: spaces.observation,
          actionSpace: spaces.action,
          maxEpisodeSteps: spec.maxEpisodeSteps ?? null,
          maxNumFramesPerEpisode: framesPerEpisode(spec.kwargs),
          rewardThreshold: spec.rewardThreshold ?? null,
        };
      });
      if (opts.json) {
        console.log(JSON.stringify(rows, null, 2));
        return;
      }
      const header = ["id", "observation space", "action space", "time limit", "reward threshold"];
      const table = rows.map((r) => [
        r.id,
        r.observationSpace,
        r.actionSpace,
        describeTimeLimit(r.maxEpisodeSteps, r.maxNumFramesPerEpisode),
        r.rewardThreshold === null ? "-" : String(r.rewardThreshold),
      ]);
      const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
      const line = (cells: string[]) =>
        cells
          .map((c, i) => c.padEnd(widths[i]))
          .join("  ")
          .trimEnd();
      console.log(line(header));
      console.log(line(widths.map((w) => "-".repeat(w))));
      for (const row of table) console.log(line(row));
    });
}

/** ALE's frame cap among an id's registered options, or null. */
function framesPerEpisode(kwargs: Record<string, unknown> | undefined): number | null {
  const frames = kwargs?.maxNumFramesPerEpisode;
  return typeof frames === "number" && frames > 0 ? frames : null;
}

/** "500" (steps), "108,000 frames", both, or "-". */
function describeTimeLimit(steps: number | null, frames: number | null): string {
  const limits = [
    ...(steps === null ? [] : [String(steps)]),
    ...(frames === null ? [] : [`${frames.toLocaleString("en-US")} frames`]),
  ];
  return limits.length === 0 ? "-" : limits.join(", ");
}

/** Spaces come from a constructed env; an env that needs a missing resource (a ROM) says so. */
function describeSpaces(id: string): { observation: string; action: string } {
  try {
    const env = make(id);
    const described = { observation: String(env.observationSpace), action: String(env.actionSpace) };
    env.close();
    return described;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return { observation: `(unavailable: ${reason})`, action: "-" };
  }
}
