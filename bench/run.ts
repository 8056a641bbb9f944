/**
 * `npm run bench [-- --only NAME] [-- --compare-pytorch]`: runs every `bench/*.bench.ts` and writes
 * each one's result as JSON under `bench/results/NAME.json` with the machine it ran on.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { fileURLToPath } from "node:url";

export interface BenchArgs {
  comparePytorch: boolean;
  argv: string[];
}

type BenchModule = { run(args: BenchArgs): Promise<Record<string, unknown>> };

const here = fileURLToPath(new URL(".", import.meta.url));
const argv = process.argv.slice(2);
const onlyIndex = argv.indexOf("--only");
const only = onlyIndex >= 0 ? argv[onlyIndex + 1]?.split(",") : undefined;
const args: BenchArgs = { comparePytorch: argv.includes("--compare-pytorch"), argv };

const names = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .map((f) => f.replace(/\.bench\.ts$/, ""))
  .filter((name) => only === undefined || only.includes(name));

mkdirSync(`${here}/results`, { recursive: true });
for (const name of names) {
  console.log(`== bench ${name}`);
  const module = (await import(`./${name}.bench.ts`)) as BenchModule;
  const result = await module.run(args);
  const record = {
    bench: name,
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? "unknown",
    cores: availableParallelism(),
    ...result,
  };
  writeFileSync(`${here}/results/${name}.json`, `${JSON.stringify(record, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}
