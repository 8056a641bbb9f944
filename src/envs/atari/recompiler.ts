/**
 * A recompiler for the 6507: it translates runs of cartridge ROM into JavaScript functions, so that
 * a game's hot loops (its display kernel above all: long runs of loads, stores to the TIA and short
 * branches, executed every scanline) run without the interpreter's per-instruction fetch, decode and
 * dispatch, with the registers in the function's locals.
 *
 * A region is the instructions found by sweeping forward from an instruction the interpreter has
 * run often, up to the first one the recompiler leaves to the interpreter (accesses to the RIOT,
 * whose timer loops the interpreter skips, and to the hotspots at addresses known in advance; the
 * jam opcodes) or the end of the code after a jump that no branch of the region leads past. Every
 * instruction start is a label: control falls from one instruction into the next, and a branch,
 * jump, call or return to a label of the same region stays inside. Anything else leaves the region
 * with the registers written back, and the interpreter goes on.
 *
 * Each instruction's code comes from the instruction table (./cpu_instructions.ts) that the
 * interpreter is generated from, written with the instruction's bytes known: effective addresses,
 * branch targets and ROM bytes are worked out here and become constants, and an access to a known
 * address becomes a direct RAM access or a bus call. So every instruction makes the same bus
 * accesses, in the same order and at the same cycles, as the interpreter: the cycle count, data bus
 * and read/write latch live in locals and are handed to the bus before every access it decodes
 * itself (TIA, RIOT) and taken back after. ROM bytes are constants, so a region belongs to one bank:
 * the region is left when an access switched banks (only accesses through the bus can touch a
 * hotspot) and after a write that ended the frame.
 *
 * The instruction limit stays exact: a region is entered only with at least as many instructions
 * left as it has, and a jump backwards checks that again, so no pass through it overruns the limit.
 */
import type { Cartridge } from "./cartridge.js";
import type { CpuBus } from "./cpu.js";
import {
  type Emitter,
  emitInstruction,
  INSTRUCTIONS,
  instructionLength,
  OPERAND_BYTES,
  RAM_SELECT_MASK,
  RAM_SELECTED,
  RIOT_SELECTED,
  SNIPPET_FUNCTIONS,
  type Space,
} from "./cpu_instructions.js";

/** A compiled region: runs from `cpu.pc` (one of its labels) and returns the instructions left. */
export type CompiledRegion = (cpu: RegionRegisters, count: number) => number;

/** The CPU as a region sees it: its bus, RAM and cartridge, and the registers it reads on entry and writes back on leaving. */
export interface RegionRegisters {
  readonly bus: CpuBus;
  readonly ram: Uint8Array;
  readonly cartridge: Cartridge;
  a: number;
  x: number;
  y: number;
  sp: number;
  pc: number;
  n: number;
  v: number;
  d: number;
  i: number;
  notZ: number;
  c: number;
  stopRequested: boolean;
}

/** Interpreted visits to an instruction before a region is compiled from it: cold code stays interpreted. */
const HOT_VISITS = 8;
/** `visits` value of an instruction the recompiler cannot start a region at. */
const NEVER = 255;
/** Instructions per region at most (a few display kernels' worth). */
const MAX_REGION_INSTRUCTIONS = 256;

/**
 * Compiled regions by source text, shared by every console: consoles running the same ROM compile
 * the same sources, and V8 then optimizes each function once rather than once per console.
 */
const compiledSources = new Map<string, CompiledRegion>();

const hex = (value: number) => `0x${value.toString(16)}`;

/** Binary operators of the expressions the table forms addresses with, by precedence (JavaScript's). */
const PRECEDENCE: Record<string, number> = {
  "|": 1,
  "^": 2,
  "&": 3,
  "===": 4,
  "!==": 4,
  "<<": 5,
  ">>": 5,
  ">>>": 5,
  "+": 6,
  "-": 6,
};

/**
 * The value of `expression` when it holds numbers only (the instruction's bytes and what the table
 * forms from them: addresses, branch targets), else null (it reads a register).
 */
function constantValue(expression: string): number | null {
  if (/[a-z_$]/i.test(expression.replace(/0x[0-9a-f]+/gi, ""))) return null;
  const tokens = expression.match(/0x[0-9a-f]+|\d+|===|!==|>>>|<<|>>|\S/gi) ?? [];
  let next = 0;
  const primary = (): number => {
    const token = tokens[next++];
    if (token === "(") {
      const value = binary(0);
      next++; // ")"
      return value;
    }
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(token)) throw new Error(`recompiler: cannot work out ${expression}`);
    return Number(token);
  };
  const binary = (least: number): number => {
    let left = primary();
    for (
      let precedence = PRECEDENCE[tokens[next]];
      precedence > least;
      precedence = PRECEDENCE[tokens[next]]
    ) {
      const operator = tokens[next++];
      left = apply(operator, left, binary(precedence));
    }
    return left;
  };
  const value = binary(0);
  if (next !== tokens.length) throw new Error(`recompiler: cannot work out ${expression}`);
  return value;
}

function apply(operator: string, left: number, right: number): number {
  switch (operator) {
    case "|":
      return left | right;
    case "^":
      return left ^ right;
    case "&":
      return left & right;
    case "===":
      return left === right ? 1 : 0;
    case "!==":
      return left !== right ? 1 : 0;
    case "<<":
      return left << right;
    case ">>":
      return left >> right;
    case ">>>":
      return left >>> right;
    case "+":
      return left + right;
    default:
      return left - right;
  }
}

/** Marks a jump to the address in `pc` (known only when run): `finish` writes it out. */
const DISPATCH = "/*DISPATCH*/";

/** Hands the locals to the bus before an access it decodes, and takes them back after. */
const TO_BUS = "bus.cycles = cyc; bus.dataBus = db; bus.lastAccessWasRead = rd;";
const FROM_BUS = "cyc = bus.cycles; db = bus.dataBus; rd = bus.lastAccessWasRead;";

/** What the instruction being written has done so far. */
interface InstructionSoFar {
  /** Its address. */
  pc: number;
  /** It is left to the interpreter. */
  refused: boolean;
  /** It went through the bus: a hotspot may have switched banks. */
  throughBus: boolean;
  /** It wrote through the bus: the TIA may have ended the frame. */
  wroteThroughBus: boolean;
  /** Its last access is known to have been a read (the fetch is): a read need not say so again. */
  lastWasRead: boolean;
  /** Conditions the code being written is under (a jump under one does not end the code). */
  conditions: number;
  /** It can continue into the next instruction (all but the jumps and returns can). */
  fallsThrough: boolean;
}

/**
 * Generates one region's source: the recompiler's side of the instruction table's emitter.
 * Instructions that need the interpreter end the sweep.
 */
class RegionWriter implements Emitter {
  private readonly lines: string[] = [];
  /** Labels (instruction addresses) in order. */
  readonly labels: number[] = [];
  private now: InstructionSoFar = RegionWriter.start(0);
  /** The furthest address a branch or jump so far goes forward to. */
  private furthestTarget = -1;

  constructor(
    private readonly cartridge: Cartridge,
    private readonly bank: number,
  ) {}

  /** An instruction at `pc` whose bytes were just read. */
  private static start(pc: number): InstructionSoFar {
    const untouched = { refused: false, throughBus: false, wroteThroughBus: false, conditions: 0 };
    return { pc, ...untouched, lastWasRead: true, fallsThrough: true };
  }

  private romByte(address: number): number {
    return this.cartridge.rom[this.bank + (address & this.cartridge.addressMask)];
  }

  /** Whether `address` is in the window below the hotspots (ROM a region can read as constants). */
  private isPlainRom(address: number): boolean {
    return (address & 0x1000) !== 0 && (address & 0xfff) < this.cartridge.firstHotspot;
  }

  code(statements: string): void {
    if (statements !== "") this.lines.push(statements);
  }

  read(address: string, space: Space, into?: string): string {
    const known = constantValue(address);
    const result = known === null ? this.readComputed(address, space, into) : this.readAt(known, into);
    this.now.lastWasRead = true;
    return result;
  }

  /** A read at a known address: RAM, ROM (a constant, returned) or the TIA; refused elsewhere. */
  private readAt(address: number, into: string | undefined): string {
    const target = into === undefined ? "" : `${into} = `;
    const read = this.now.lastWasRead ? "" : " rd = true;";
    if ((address & RAM_SELECT_MASK) === RAM_SELECTED) {
      this.code(`db = ${target}ram[${hex(address & 0x7f)}]; cyc++;${read}`);
    } else if (this.isPlainRom(address)) {
      const value = this.romByte(address);
      this.code(`db = ${target}${value}; cyc++;${read}`);
      return String(value);
    } else if ((address & 0x1000) === 0 && (address & RAM_SELECT_MASK) !== RIOT_SELECTED) {
      // The TIA (reads have no side effects, but the cycle and the data bus matter).
      this.code(`${TO_BUS} ${target}bus.peek(${hex(address)}); ${FROM_BUS}`);
    } else {
      this.now.refused = true; // the RIOT (the interpreter skips timer loops) and the hotspots
    }
    return into ?? "";
  }

  /** A read at an address known only when it runs. */
  private readComputed(address: string, space: Space, into: string | undefined): string {
    const target = into === undefined ? "" : `${into} = `;
    const read = this.now.lastWasRead ? "" : " rd = true;";
    const at = this.local(address);
    const ram = `db = ${target}ram[${at} & 0x7f]; cyc++;${read}`;
    const bus = `${TO_BUS} ${target}bus.peek(${at}); ${FROM_BUS}`;
    if (space === "ramOrTia") {
      this.code(`if (${at} & 0x80) { ${ram} } else { ${bus} }`);
    } else {
      this.now.throughBus = true;
      this.code(
        `if ((${at} & ${RAM_SELECT_MASK}) === ${RAM_SELECTED}) { ${ram} }` +
          ` else if ((${at} & 0x1000) !== 0 && (${at} & 0xfff) < ${this.cartridge.firstHotspot}) {` +
          ` db = ${target}rom[cart.bankOffset + (${at} & ${this.cartridge.addressMask})]; cyc++;${read} }` +
          ` else { ${bus} }`,
      );
    }
    return into ?? "";
  }

  write(address: string, space: Space, value: string): void {
    const known = constantValue(address);
    if (known === null) this.writeComputed(address, space, value);
    else if ((known & RAM_SELECT_MASK) === RAM_SELECTED) {
      this.code(`ram[${hex(known & 0x7f)}] = ${value}; db = ${value}; cyc++; rd = false;`);
    } else if ((known & 0x1000) === 0 && (known & RAM_SELECT_MASK) !== RIOT_SELECTED) {
      this.now.wroteThroughBus = true;
      this.code(`${TO_BUS} bus.poke(${hex(known)}, ${value}); ${FROM_BUS}`);
    } else {
      this.now.refused = true; // the RIOT and the cartridge
    }
    this.now.lastWasRead = false;
  }

  private writeComputed(address: string, space: Space, value: string): void {
    const at = this.local(address);
    this.now.wroteThroughBus = true;
    if (space !== "ramOrTia") this.now.throughBus = true;
    const ram = space === "ramOrTia" ? `${at} & 0x80` : `(${at} & ${RAM_SELECT_MASK}) === ${RAM_SELECTED}`;
    this.code(
      `if (${ram}) { ram[${at} & 0x7f] = ${value}; db = ${value}; cyc++; rd = false; }` +
        ` else { ${TO_BUS} bus.poke(${at}, ${value}); ${FROM_BUS} }`,
    );
  }

  /** `expression` as a local (the scratch `at` unless it is one already). */
  private local(expression: string): string {
    if (/^\w+$/.test(expression)) return expression;
    this.code(`at = ${expression};`);
    return "at";
  }

  bind(name: string, value: string): string {
    const known = constantValue(value);
    if (known !== null) return String(known);
    this.code(`${name} = ${value};`);
    return name;
  }

  when(condition: string, body: () => void): void {
    const known = constantValue(condition);
    if (known !== null) {
      if (known) body();
      return;
    }
    const start = this.lines.length;
    const before = this.now.lastWasRead;
    this.now.conditions++;
    body();
    this.now.conditions--;
    const inner = this.lines.splice(start).join(" ");
    this.now.lastWasRead &&= before;
    this.code(`if (${condition}) { ${inner} }`);
  }

  jump(target: string): void {
    this.transfer(target);
    if (this.now.conditions === 0) this.now.fallsThrough = false;
  }

  call(target: string): void {
    this.transfer(target);
  }

  halt(): void {
    this.now.refused = true;
  }

  /**
   * Sets the pc to `target` and goes on there: a label of this region or out (resolved by `finish`
   * when the target is known now, by the region's switch when it is known only when it runs).
   */
  private transfer(target: string): void {
    const known = constantValue(target);
    this.code(`pc = ${known === null ? target : hex(known)};`);
    this.leaveIfDisturbed("");
    if (known === null) {
      this.code(DISPATCH);
    } else {
      this.furthestTarget = Math.max(this.furthestTarget, known);
      // Whether the target is a label is only known once the sweep ends: `finish` resolves the marker.
      this.code(`/*JUMP ${this.now.pc} ${known}*/`);
    }
  }

  /**
   * Leaves the region (after `setPc`) where this instruction's accesses through the bus may have
   * ended the frame (a write) or switched banks (any access).
   */
  private leaveIfDisturbed(setPc: string): void {
    if (this.now.wroteThroughBus) this.code(`if (cpu.stopRequested) { ${setPc} break run; }`);
    if (this.now.throughBus) this.code(`if (cart.bankOffset !== ${this.bank}) { ${setPc} break run; }`);
  }

  /**
   * Appends the instruction at `pc` and returns the address of the next one, or returns null (and
   * appends nothing) where the interpreter must run it.
   */
  add(pc: number): number | null {
    const opcode = this.romByte(pc);
    const instruction = INSTRUCTIONS[opcode];
    const low = this.romByte(pc + 1);
    const high = this.romByte(pc + 2);
    const start = this.lines.length;
    this.now = RegionWriter.start(pc);
    this.code(`case ${hex(pc)}: {`);
    this.code("count--;");
    // The opcode and the bytes after it, one cycle each (an implied instruction reads one and drops it).
    const bytes = instruction.mode === "jam" ? 0 : Math.max(OPERAND_BYTES[instruction.mode], 1);
    this.code(`cyc += ${1 + bytes}; db = ${[opcode, low, high][bytes]}; rd = true;`);
    const operandEnd = pc + 1 + OPERAND_BYTES[instruction.mode];
    emitInstruction(instruction, { low: String(low), high: String(high), pc: String(operandEnd) }, this);
    if (this.now.refused) {
      this.lines.length = start;
      return null;
    }
    const next = pc + instructionLength(instruction.mode);
    this.leaveIfDisturbed(`pc = ${hex(next)};`);
    this.code("}");
    this.labels.push(pc);
    return next;
  }

  /**
   * Whether the sweep should go on at `next`: the code after a jump belongs to the region only when
   * a branch or jump seen so far leads there (else it may be data, or another routine).
   */
  continuesAt(next: number): boolean {
    return this.now.fallsThrough || next <= this.furthestTarget;
  }

  /** The region's cases, jumps resolved now that every label is known, then the exit at `end`. */
  finish(end: number): string {
    const labels = new Set(this.labels);
    const size = this.labels.length;
    const body = this.lines.join("\n").replace(/\/\*JUMP (\d+) (\d+)\*\//g, (_, from: string, to: string) => {
      const target = Number(to);
      if (!labels.has(target)) return "break run;";
      return target <= Number(from) ? `if (count < ${size}) break run; continue run;` : "continue run;";
    });
    // A computed target may lie anywhere (the switch leaves the region for any other address).
    return `${body.replaceAll(DISPATCH, `if (count < ${size}) break run; continue run;`)}\npc = ${hex(end)}; break run;`;
  }
}

/**
 * Compiles regions on demand and keeps them per bank and address, for one console. Keys are `bankOffset + (pc & 0xFFF)` (a 2K ROM's mirrors
 * are distinct keys), and each key remembers the exact pc its label has.
 */
export class Recompiler {
  /** Per key: the pc of the label there (-1: none), which the interpreter compares with its pc. */
  readonly labels: Int32Array;
  /** Per key: the region with that label. */
  readonly regions: (CompiledRegion | undefined)[];
  /** Per key: the instruction count of the region, the fewest instructions left to enter it with. */
  readonly sizes: Uint16Array;
  /** Per key: interpreted visits so far (NEVER: no region starts there). */
  private readonly visits: Uint8Array;
  /** Instructions run in compiled regions so far (the CPU counts them). */
  instructionsRun = 0;

  constructor(private readonly cartridge: Cartridge) {
    const keys = Math.max(cartridge.rom.length, 0x1000);
    this.labels = new Int32Array(keys).fill(-1);
    this.regions = new Array(keys).fill(undefined);
    this.sizes = new Uint16Array(keys);
    this.visits = new Uint8Array(keys);
  }

  /** Counts an interpreted visit to `pc` (under `key`), compiling a region from it once it is hot. */
  visit(key: number, pc: number): void {
    const visits = this.visits[key];
    if (visits === NEVER) return;
    if (visits + 1 < HOT_VISITS) {
      this.visits[key] = visits + 1;
      return;
    }
    this.visits[key] = NEVER;
    this.compile(pc);
  }

  private compile(entry: number): void {
    const { cartridge } = this;
    const bank = cartridge.bankOffset;
    const writer = new RegionWriter(cartridge, bank);
    let pc = entry;
    while (
      writer.labels.length < MAX_REGION_INSTRUCTIONS &&
      (pc & 0x1000) !== 0 &&
      (pc & 0xfff) < cartridge.firstHotspot - 2
    ) {
      const next = writer.add(pc);
      if (next === null) break;
      pc = next;
      if (!writer.continuesAt(pc)) break;
    }
    if (writer.labels.length === 0) return;
    const source =
      "return function region(cpu, count) {\n" +
      "const bus = cpu.bus, ram = cpu.ram, cart = cpu.cartridge, rom = cart.rom;\n" +
      "let a = cpu.a, x = cpu.x, y = cpu.y, sp = cpu.sp, n = cpu.n, v = cpu.v, d = cpu.d, i = cpu.i, notZ = cpu.notZ, c = cpu.c;\n" +
      "let pc = cpu.pc, cyc = bus.cycles, db = bus.dataBus, rd = bus.lastAccessWasRead;\n" +
      "let high = 0, o = 0, t = 0, r = 0, addr = 0, at = 0;\n" +
      "run: for (;;) {\nswitch (pc) {\n" +
      writer.finish(pc) +
      "\ndefault: break run;\n}\n}\n" +
      "cpu.a = a; cpu.x = x; cpu.y = y; cpu.sp = sp; cpu.n = n; cpu.v = v; cpu.d = d; cpu.i = i; cpu.notZ = notZ; cpu.c = c;\n" +
      "cpu.pc = pc; bus.cycles = cyc; bus.dataBus = db; bus.lastAccessWasRead = rd;\n" +
      "return count;\n};";
    let region = compiledSources.get(source);
    if (region === undefined) {
      try {
        region = new Function(...Object.keys(SNIPPET_FUNCTIONS), source)(
          ...Object.values(SNIPPET_FUNCTIONS),
        ) as CompiledRegion;
      } catch {
        // A page whose content security policy forbids compiling code: the interpreter runs everything.
        this.visits.fill(NEVER);
        return;
      }
      compiledSources.set(source, region);
    }
    for (const label of writer.labels) {
      const key = bank + (label & 0xfff);
      this.labels[key] = label;
      this.regions[key] = region;
      this.sizes[key] = writer.labels.length;
      this.visits[key] = NEVER;
    }
  }
}
