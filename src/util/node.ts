/**
 * Node's built-in modules, reached at run time through `process.getBuiltinModule` (Node >= 20.16),
 * so that the modules using them still load in a browser and bundlers never see a `node:` import.
 */

interface NodeProcess {
  env?: Record<string, string | undefined>;
  getBuiltinModule?: (id: string) => unknown;
}

/** Node's `process`, undefined elsewhere. */
export function nodeProcess(): NodeProcess | undefined {
  return (globalThis as { process?: NodeProcess }).process;
}

/** The built-in module `id` (e.g. `"node:fs"`), undefined outside Node. */
export function nodeBuiltin<T>(id: string): T | undefined {
  return nodeProcess()?.getBuiltinModule?.(id) as T | undefined;
}
