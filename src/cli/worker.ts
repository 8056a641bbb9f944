/**
 * `ppo-ts worker --queue redis://HOST:PORT`: runs the trials that `ppo-ts sweep --queue` puts on the
 * queue, on this machine, until stopped (Ctrl-C or SIGTERM: the running trials checkpoint and go
 * back on the queue).
 */
import { join } from "node:path";
import type { Command } from "commander";
import { RUNS_DIR } from "../run/layout.js";
import { TrialWorker } from "../sweep/worker.js";
import { integerFlag } from "./flags.js";

interface WorkerFlags {
  queue: string;
  concurrency: number;
  workDir: string;
  lockSeconds: number;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command("worker")
    .description("run sweep trials from a BullMQ queue on Redis (ppo-ts sweep --queue URL puts them there)")
    .requiredOption("--queue <url>", "the Redis URL, e.g. redis://localhost:6379")
    .option("--concurrency <n>", "trials at once", integerFlag("--concurrency", 1), 1)
    .option(
      "--work-dir <dir>",
      "where trials train when their sweep has no shared --store",
      join(RUNS_DIR, "worker"),
    )
    .option(
      "--lock-seconds <n>",
      "a worker silent this long is taken for dead and its trials go back on the queue",
      integerFlag("--lock-seconds", 1),
      30,
    )
    .action(async (opts: WorkerFlags) => {
      const worker = new TrialWorker({
        url: opts.queue,
        concurrency: opts.concurrency,
        workDir: opts.workDir,
        lockSeconds: opts.lockSeconds,
        log: (line) => console.error(line),
      });
      await worker.start();
      console.error(`worker ${worker.name}: taking trials from ${opts.queue} (${opts.concurrency} at once)`);
      await new Promise<void>((resolve) => {
        const onSignal = () => {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
          console.error("stopping: the running trials checkpoint and go back on the queue");
          resolve();
        };
        process.on("SIGINT", onSignal);
        process.on("SIGTERM", onSignal);
      });
      await worker.stop();
    });
}
