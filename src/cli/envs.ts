import type { Command } from "commander";
import { make, registeredEnvs } from "../envs/index.js";

/** `ppo-ts envs`: every registered id with its spaces, time limit and reward threshold. */
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
        r.maxEpisodeSteps === null ? "-" : String(r.maxEpisodeSteps),
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
