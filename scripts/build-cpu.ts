/**
 * `npm run build:cpu`: writes the 6507's interpreter, src/envs/atari/build/cpu_interpreter.ts (a
 * generated module, ignored by git, that tsc then ships in dist), from the instruction table in
 * src/envs/atari/cpu_instructions.ts. The interpreter is generated ahead of time rather than at run
 * time so that it runs where a page forbids compiling code (the recompiler then stays off).
 *
 * It decodes as the chip does, in two steps, each a switch that V8 compiles to a jump table. The
 * instruction's form (its addressing mode and how it uses its operand, some twenty in all) reads its
 * bytes, forms the effective address and reads the operand; then the opcode picks the operation,
 * opcodes that do the same sharing one case. Keeping the function this small keeps V8 optimizing it
 * quickly, and each form's code gathers type feedback from all its opcodes. Most instructions lie in
 * cartridge ROM below the bank-switching hotspots, and there their bytes come straight from the ROM
 * array; elsewhere (the last bytes before the hotspots, code in RAM) they are read over the bus.
 * The compiled regions of the recompiler run in between, where it has one for the pc.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  type Emitter,
  emitAddressing,
  emitOperation,
  INSTRUCTIONS,
  type Instruction,
  OPERAND_BYTES,
  type Operand,
  RAM_SELECT_MASK,
  RAM_SELECTED,
  SNIPPET_FUNCTIONS,
  type Space,
  unpackStatus,
} from "../src/envs/atari/cpu_instructions.js";

const root = new URL("../", import.meta.url);
const output = new URL("src/envs/atari/build/cpu_interpreter.ts", root);

/** The instruction's bytes as the interpreter's locals (`pc` is past the bytes read so far). */
const OPERAND: Operand = { low: "low", high: "high", pc: "pc" };

/** LDA, LDX, LDY abs: `execute` first lets the CPU skip the passes of a wait on the RIOT timer. */
const TIMER_POLLS = INSTRUCTIONS.filter(
  ({ name, mode }) => mode === "abs" && ["LDA", "LDX", "LDY"].includes(name),
);

/** `expression`, parenthesized unless it is a name or a number. */
const parenthesized = (expression: string) => (/^[\w.]+$/.test(expression) ? expression : `(${expression})`);

const hex = (value: number) => `0x${value.toString(16).padStart(2, "0")}`;

/**
 * The interpreter's side of the emitter: accesses as run-time checks on the bus, the cycle count and
 * the data bus kept on the bus object.
 */
class InterpreterWriter implements Emitter {
  readonly lines: string[] = [];

  /** `lastWasRead`: whether the last access is known to have been a read (a read need not say so again). */
  constructor(private lastWasRead: boolean) {}

  code(statements: string): void {
    if (statements !== "") this.lines.push(statements);
  }

  read(address: string, space: Space, into?: string): string {
    const target = into === undefined ? "" : `${into} = `;
    const read = this.lastWasRead ? "" : " bus.lastAccessWasRead = true;";
    const at = parenthesized(address);
    if (space === "ramOrTia") {
      this.code(
        `if (${at} & 0x80) { ${target}bus.dataBus = ram[${at} & 0x7f]; bus.cycles++;${read} }` +
          ` else ${target}bus.peek(${address});`,
      );
    } else if (space === "code" || (into !== undefined && /^[a-z]\w*$/i.test(address))) {
      // An operand or the instruction stream: RAM and ROM (outside the hotspots) straight from their
      // arrays, as Cpu6507.read does.
      this.code(
        `if ((${at} & ${hex(RAM_SELECT_MASK)}) === ${hex(RAM_SELECTED)}) { ${target}bus.dataBus = ram[${at} & 0x7f]; bus.cycles++;${read} }` +
          ` else if ((${at} & 0x1000) !== 0 && (${at} & 0xfff) < firstHotspot) {` +
          ` ${target}bus.dataBus = rom[cartridge.bankOffset + (${at} & romMask)]; bus.cycles++;${read} }` +
          ` else ${target}bus.peek(${address});`,
      );
    } else {
      this.code(`${target}cpu.read(${address});`);
    }
    this.lastWasRead = true;
    return into ?? "";
  }

  write(address: string, space: Space, value: string): void {
    const at = parenthesized(address);
    if (space === "ramOrTia") {
      this.code(
        `if (${at} & 0x80) { ram[${at} & 0x7f] = ${value}; bus.cycles++; bus.dataBus = ${value};` +
          ` bus.lastAccessWasRead = false; } else bus.poke(${address}, ${value});`,
      );
    } else {
      this.code(`cpu.write(${address}, ${value});`);
    }
    this.lastWasRead = false;
  }

  bind(name: string, value: string): string {
    if (value !== name) this.code(`${name} = ${value};`);
    return name;
  }

  when(condition: string, body: () => void): void {
    const start = this.lines.length;
    const before = this.lastWasRead;
    body();
    const inner = this.lines.splice(start).join("\n");
    this.lastWasRead &&= before;
    this.code(`if (${condition}) {\n${inner}\n}`);
  }

  jump(target: string): void {
    this.code(`pc = ${target};`);
  }

  call(target: string): void {
    this.jump(target);
  }

  halt(): void {
    this.code("cpu.halted = true; count = 0;");
  }
}

/** The forms instructions come in (mode and access), each as one instruction of that form. */
const FORMS = [...new Map(INSTRUCTIONS.map((instruction) => [formName(instruction), instruction])).values()];

function formName({ mode, access }: Instruction): string {
  return `${mode} ${access}`;
}

/** The bytes of an instruction of `form` straight from the ROM array; `low` is read already. */
function romFetch({ mode, access }: Instruction): string {
  const bytes = OPERAND_BYTES[mode];
  // An implied instruction reads the byte after the opcode and drops it; a jam reads nothing more.
  const fetch =
    mode === "jam"
      ? "bus.cycles += 1; bus.dataBus = opcode; pc += 1;"
      : bytes === 2
        ? "high = rom[bank + ((pc + 2) & romMask)]; bus.cycles += 3; bus.dataBus = high; pc += 3;"
        : `bus.cycles += 2; bus.dataBus = low; pc += ${bytes + 1};`;
  if (mode !== "abs" || access !== "read") return fetch;
  // The timer polls are asked first, with the cycle count at the instruction's start.
  const timerPoll = TIMER_POLLS.map(({ opcode }) => `opcode === ${hex(opcode)}`).join(" || ");
  return `if (${timerPoll}) count -= cpu.skipTimerWait(pc, count);\n${fetch}`;
}

/** The bytes of an instruction of `form` read over the bus; the opcode is read already. */
function busFetch({ mode }: Instruction): string {
  const bytes = OPERAND_BYTES[mode];
  if (mode === "imp") return "cpu.read(pc);";
  if (bytes === 1) return "low = cpu.read(pc); pc = (pc + 1) & 0xffff;";
  if (bytes === 2) return "low = cpu.read(pc); high = cpu.read((pc + 1) & 0xffff); pc = (pc + 2) & 0xffff;";
  return "";
}

/** The switch on the form: `fetch`, then the effective address and the operand. */
function formSwitch(fetch: (form: Instruction) => string): string {
  const cases = FORMS.map((form, index) => {
    const writer = new InterpreterWriter(true);
    writer.code(fetch(form));
    emitAddressing(form.mode, form.access, OPERAND, writer);
    return `case ${index}: { // ${formName(form)}\n${writer.lines.join("\n")}\nbreak;\n}`;
  });
  return `switch (FORM[opcode]) {\n${cases.join("\n")}\n}`;
}

/** The switch on the opcode: the operations, opcodes whose code is the same sharing a case. */
function operationSwitch(): string {
  const cases = new Map<string, Instruction[]>();
  for (const instruction of INSTRUCTIONS) {
    const writer = new InterpreterWriter(instruction.access !== "modify");
    emitOperation(instruction, OPERAND, "addr", writer);
    const body = writer.lines.join("\n");
    cases.set(body, [...(cases.get(body) ?? []), instruction]);
  }
  const code = [...cases].map(([body, instructions]) => {
    const labels = instructions.map(({ opcode }) => `case ${hex(opcode)}:`).join("\n");
    const names = [...new Set(instructions.map(({ name }) => name))].join(", ");
    return `${labels} { // ${names}\n${body}\nbreak;\n}`;
  });
  return `switch (opcode) {\n${code.join("\n")}\n}`;
}

const REGISTERS = "a, x, y, sp, pc, n, v, d, i, notZ, c";
const STORE_REGISTERS = REGISTERS.split(", ")
  .map((register) => `cpu.${register} = ${register};`)
  .join(" ");
const FLAGS = ["n", "v", "d", "i", "notZ", "c"];

/**
 * A digest of the module as the table writes it now. The generated file's first line carries the
 * one it was written from, so that a test sees when it is stale (the table changed since).
 */
export function interpreterDigest(): string {
  return createHash("sha256").update(interpreterSource()).digest("hex").slice(0, 16);
}

/** The module, its first line aside. */
function interpreterSource(): string {
  const functions = Object.keys(SNIPPET_FUNCTIONS).sort().join(", ");
  const form = new Map(FORMS.map((instruction, index) => [formName(instruction), index]));
  return `import type { Cpu6507 } from "../cpu.js";
import { ${functions} } from "../cpu_instructions.js";
import type { CompiledRegion } from "../recompiler.js";

/** Each opcode's form: its addressing mode and how it uses its operand. */
const FORM = new Uint8Array([${INSTRUCTIONS.map((instruction) => form.get(formName(instruction))).join(", ")}]);

/** Cpu6507.execute: up to \`maxInstructions\` instructions, or until the TIA asks to stop (end of frame). */
export function interpret(cpu: Cpu6507, maxInstructions: number): void {
cpu.stopRequested = false;
if (cpu.halted) return;
const { bus, ram, cartridge, recompiler } = cpu;
const { rom, addressMask: romMask, firstHotspot } = cartridge;
let { ${REGISTERS} } = cpu;
let opcode = 0, low = 0, high = 0, o = 0, t = 0, r = 0, addr = 0;
for (let count = maxInstructions; count > 0 && !cpu.stopRequested; count--) {
if ((pc & 0x1000) !== 0 && (pc & 0xfff) < firstHotspot - 2) {
const bank = cartridge.bankOffset;
if (recompiler !== null) {
const key = bank + (pc & 0xfff);
if (recompiler.labels[key] !== pc) recompiler.visit(key, pc);
else if (count >= recompiler.sizes[key]) {
const region = recompiler.regions[key] as CompiledRegion;
${STORE_REGISTERS}
const left = region(cpu, count);
recompiler.instructionsRun += count - left;
// The loop's decrement follows.
count = left + 1;
({ ${REGISTERS} } = cpu);
continue;
}
}
opcode = rom[bank + (pc & romMask)];
low = rom[bank + ((pc + 1) & romMask)];
bus.lastAccessWasRead = true;
${formSwitch(romFetch)}
} else {
opcode = cpu.read(pc);
pc = (pc + 1) & 0xffff;
${formSwitch(busFetch)}
}
${operationSwitch()}
}
${STORE_REGISTERS}
}

/** Cpu6507.setStatus: the flags from a status byte, as PLP sets them. */
export function setFlags(cpu: Cpu6507, status: number): void {
let n = 0, v = 0, d = 0, i = 0, notZ = 0, c = 0;
${unpackStatus("status")}
${FLAGS.map((flag) => `cpu.${flag} = ${flag};`).join(" ")}
}
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(new URL(".", output), { recursive: true });
  const path = fileURLToPath(output);
  const header = `// Generated by scripts/build-cpu.ts from src/envs/atari/cpu_instructions.ts (digest ${interpreterDigest()}); do not edit.`;
  writeFileSync(path, `${header}\n${interpreterSource()}`);
  // Laid out as the rest of the sources, so that the lint passes and the code reads well.
  execFileSync(fileURLToPath(new URL("node_modules/.bin/biome", root)), ["format", "--write", path], {
    stdio: "inherit",
  });
}
