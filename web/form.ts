/**
 * The config as a form, made from the config's field table (`CONFIG_FIELD_LIST`): each field's name,
 * help text, parser and check are the ones the CLI's flags use, so that a value is read and refused
 * here as `ppo-ts train` reads and refuses it, and the reason stands next to its field.
 */
import { registeredEnvs } from "../src/envs/core/registry.js";
import {
  CONFIG_FIELD_LIST,
  type ConfigFieldEntry,
  type ConfigProblem,
  type PPOConfig,
  type PPOConfigOverrides,
} from "../src/ppo/config.js";

/** Sections of the form by the first part of a field's name; the PPO section takes the others. */
const SECTIONS: readonly { title: string; fields: readonly string[] | null; open: boolean }[] = [
  { title: "Environment", fields: ["envId", "envKwargs", "seed", "totalTimesteps"], open: true },
  { title: "PPO", fields: null, open: false },
  { title: "Policy network", fields: ["policy"], open: false },
  { title: "Running", fields: ["device", "vecMode", "checkpointSeconds", "evalEpisodes"], open: false },
];

/** The section a field goes in. */
function sectionOf(entry: ConfigFieldEntry): string {
  const named = SECTIONS.find(({ fields }) => fields?.includes(entry.path[0]));
  return (named ?? SECTIONS.find(({ fields }) => fields === null))?.title ?? "";
}

type Input = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

interface FieldView {
  entry: ConfigFieldEntry;
  input: Input;
  error: HTMLElement;
  /** Why the text a checkbox was given (a query parameter) was refused, until the box is changed. */
  refusedText: string | null;
}

/** A field's id in the page: `field-learningRate`, `field-policy-hiddenSizes`. */
function fieldId(name: string): string {
  return `field-${name.replace(/\./g, "-")}`;
}

/** A value as the text of its input (`64,64`, `null`, JSON for objects). */
function valueText(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.join(",");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function valueAt(config: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], config);
}

function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[path[path.length - 1]] = value;
}

/** The env ids as options of a select, grouped as `ppo-ts envs` lists them. */
function envOptions(select: HTMLSelectElement): void {
  const groups = new Map<string, HTMLOptGroupElement>();
  for (const [id, spec] of registeredEnvs()) {
    const family = typeof spec.kwargs?.game === "string" ? "Atari 2600 (your ROM)" : "Classic control, Box2D";
    let group = groups.get(family);
    if (group === undefined) {
      group = document.createElement("optgroup");
      group.label = family;
      groups.set(family, group);
      select.append(group);
    }
    const option = document.createElement("option");
    option.value = id;
    option.textContent = id;
    group.append(option);
  }
}

function inputFor(entry: ConfigFieldEntry): Input {
  const { field, name } = entry;
  if (name === "envId") {
    const select = document.createElement("select");
    envOptions(select);
    return select;
  }
  if (field.kind === "choice") {
    const select = document.createElement("select");
    for (const choice of field.schema.enum as string[]) select.add(new Option(choice, choice));
    return select;
  }
  if (field.kind === "object") {
    const area = document.createElement("textarea");
    area.rows = 1;
    area.spellcheck = false;
    return area;
  }
  const input = document.createElement("input");
  if (field.kind === "boolean") input.type = "checkbox";
  else {
    input.type = "text";
    input.inputMode = field.kind === "integer" ? "numeric" : field.kind === "number" ? "decimal" : "text";
    input.spellcheck = false;
    input.autocomplete = "off";
  }
  return input;
}

export class ConfigForm {
  private readonly views = new Map<string, FieldView>();
  /** Called when the env changes (the page fills in its preset). */
  onEnvChange: (envId: string) => void = () => {};

  constructor(container: HTMLElement) {
    for (const section of SECTIONS) {
      const details = document.createElement("details");
      details.open = section.open;
      const summary = document.createElement("summary");
      summary.textContent = section.title;
      details.append(summary);
      for (const entry of CONFIG_FIELD_LIST) {
        if (sectionOf(entry) === section.title) details.append(this.fieldView(entry));
      }
      container.append(details);
    }
  }

  private fieldView(entry: ConfigFieldEntry): HTMLElement {
    const id = fieldId(entry.name);
    const wrapper = document.createElement("div");
    wrapper.className = `field field-${entry.field.kind}`;
    const input = inputFor(entry);
    input.id = id;
    input.name = entry.name;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = entry.name;
    const flag = document.createElement("code");
    flag.className = "flag";
    flag.textContent = entry.flag;
    const help = document.createElement("small");
    help.id = `${id}-help`;
    help.className = "help";
    help.textContent = entry.field.doc;
    const error = document.createElement("p");
    error.id = `${id}-error`;
    error.className = "field-error";
    error.hidden = true;
    input.setAttribute("aria-describedby", `${help.id} ${error.id}`);
    const view: FieldView = { entry, input, error, refusedText: null };
    input.addEventListener("change", () => {
      view.refusedText = null;
      this.check(entry.name);
      if (entry.name === "envId") this.onEnvChange(input.value);
    });
    if (entry.field.kind === "boolean") wrapper.append(input, label, flag, help, error);
    else wrapper.append(label, flag, input, help, error);
    this.views.set(entry.name, view);
    return wrapper;
  }

  get envId(): string {
    return this.view("envId").input.value;
  }

  private view(name: string): FieldView {
    const view = this.views.get(name);
    if (view === undefined) throw new Error(`no config field "${name}"`);
    return view;
  }

  /** The field a name or flag names (`learningRate`, `learning-rate`, `policy.hiddenSizes`), if any. */
  fieldNamed(key: string): string | null {
    if (key === "env") return "envId";
    if (this.views.has(key)) return key;
    const byFlag = CONFIG_FIELD_LIST.find(({ flag }) => flag === `--${key}`);
    return byFlag?.name ?? null;
  }

  /** Shows every field of `config`. */
  fill(config: PPOConfig): void {
    for (const view of this.views.values()) {
      const { entry, input } = view;
      view.refusedText = null;
      const value = valueAt(config, entry.path);
      if (input instanceof HTMLInputElement && input.type === "checkbox") input.checked = value === true;
      else input.value = valueText(value);
    }
    this.showProblems([]);
  }

  /** Sets one field from text (a query parameter), checked as the form checks it. */
  setText(name: string, text: string): void {
    const view = this.view(name);
    const { input } = view;
    if (input instanceof HTMLInputElement && input.type === "checkbox") {
      view.refusedText = null;
      try {
        input.checked = view.entry.field.parse(text) === true;
      } catch (error) {
        view.refusedText = (error as Error).message;
      }
    } else input.value = text;
    this.check(name);
  }

  /** Locks every field but those `editable` says may change (a run continued keeps its own). */
  lock(editable: (entry: ConfigFieldEntry) => boolean): void {
    for (const { entry, input } of this.views.values()) input.disabled = !editable(entry);
  }

  unlock(): void {
    for (const { input } of this.views.values()) input.disabled = false;
  }

  /** Why the field's text is refused (its parser's or check's reason), or null. */
  private problem(view: FieldView): string | null {
    if (view.refusedText !== null) return view.refusedText;
    try {
      return view.entry.field.check(this.parse(view));
    } catch (error) {
      return (error as Error).message;
    }
  }

  private parse({ entry, input }: FieldView): unknown {
    if (input instanceof HTMLInputElement && input.type === "checkbox") return input.checked;
    return entry.field.parse(input.value.trim());
  }

  /** Checks one field, showing or clearing its error; returns whether it is accepted. */
  check(name: string): boolean {
    const view = this.view(name);
    const reason = this.problem(view);
    this.showError(view, reason);
    return reason === null;
  }

  /** Every field's value (or, for fields refused, the problems), read as the CLI reads flags. */
  read(): { values: PPOConfigOverrides; problems: ConfigProblem[] } {
    const values: Record<string, unknown> = {};
    const problems: ConfigProblem[] = [];
    for (const view of this.views.values()) {
      const reason = this.problem(view);
      if (reason !== null) problems.push({ field: view.entry.name, reason });
      else setAt(values, view.entry.path, this.parse(view));
    }
    return { values: values as PPOConfigOverrides, problems };
  }

  /** Shows each problem next to its field (a problem of no field goes to `otherwise`); clears the rest. */
  showProblems(problems: readonly ConfigProblem[], otherwise?: (problem: ConfigProblem) => void): void {
    for (const view of this.views.values()) this.showError(view, null);
    let first: Input | null = null;
    for (const problem of problems) {
      const view = this.views.get(problem.field);
      if (view === undefined) {
        otherwise?.(problem);
        continue;
      }
      this.showError(view, problem.reason, true);
      first ??= view.input;
    }
    if (first !== null) {
      const section = first.closest("details");
      if (section !== null) section.open = true;
      first.focus();
    }
  }

  private showError(view: FieldView, reason: string | null, append = false): void {
    const { error, input, entry } = view;
    const text = reason === null ? "" : `${entry.name} ${reason}`;
    error.textContent = append && !error.hidden && text !== "" ? `${error.textContent}; ${reason}` : text;
    error.hidden = reason === null;
    input.setAttribute("aria-invalid", String(reason !== null));
  }
}
