/** What the sweep tests (and bench) share: tiny CartPole trials, a plan from a spec's fields, a free port. */
import { createServer } from "node:net";
import { planSweep, type SweepPlan } from "../../src/sweep/plan.js";
import { parseSweepSpec } from "../../src/sweep/spec.js";

/** Base config fields of a trial that takes about a second: 4 x 64 steps an update, a 16-unit network. */
export const TINY = {
  num_envs: 4,
  num_steps: 64,
  num_minibatches: 2,
  update_epochs: 2,
  policy: { hidden_sizes: [16] },
  eval_episodes: 2,
};

/** The plan of a CartPole sweep with the given spec fields. */
export const planOf = (raw: Record<string, unknown>): SweepPlan =>
  planSweep(parseSweepSpec({ env: "CartPole-v1", ...raw }));

/** A loopback port nothing listens on (the OS's pick, released at once), for a redis-server of our own. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}
