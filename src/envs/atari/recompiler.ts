/**
 * A recompiler for the 6507: it translates runs of cartridge ROM into JavaScript functions, so that
 * a game's hot loops (its display kernel above all: long runs of loads, stores to the TIA and short
 * branches, executed every scanline) run without the interpreter's per-instruction fetch, decode and
 * dispatch, with the registers in the function's locals.
 *
 * A region is the instructions found by sweeping forward from an instruction the interpreter has
 * run often, up to the first one the recompiler leaves to the interpreter (RIOT and hotspot
 * addresses, (zp,X), RTI, BRK, the undocumented opcodes) or the end of the code after a JMP or RTS
 * that no branch of the region leads past. Every instruction start is a label: control falls from
 * one instruction into the next, and a branch, JMP, JSR or RTS to a label of the same region stays
 * inside. Anything else leaves the region with the registers written back, and the interpreter
 * goes on.
 *
 * Each instruction makes the same bus accesses, in the same order and at the same cycles, as
 * Cpu6507.execute: the cycle count, data bus and read/write latch live in locals and are handed to
 * the bus before every access it decodes itself (TIA, RIOT) and taken back after. ROM bytes are
 * constants, so a region belongs to one bank: the region is left when an access switched banks
 * (only accesses through the bus can touch a hotspot) and after a write that ended the frame.
 *
 * The instruction limit stays exact: a region is entered only with at least as many instructions
 * left as it has, and a jump backwards checks that again, so no pass through it overruns the limit.
 */
import type { Cartridge } from "./cartridge.js";
import {
  ABSOLUTE,
  ABSOLUTE_X,
  ABSOLUTE_Y,
  ADDRESS,
  addWithCarry,
  type CpuBus,
  DECODE,
  IMMEDIATE,
  IMPLIED,
  INDIRECT_INDEXED,
  packStatus,
  READ,
  READ_MODIFY_WRITE,
  subtractWithBorrow,
  ZERO_PAGE,
  ZERO_PAGE_X,
  ZERO_PAGE_Y,
} from "./cpu.js";

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

/** RAM, TIA and RIOT as the bus decodes them (A12 low): RAM when A9 is low and A7 high. */
const RAM_SELECT_MASK = 0x1280;
const RAM_SELECTED = 0x0080;
const RIOT_SELECTED = 0x0280;

/** Branch conditions by opcode, on the interpreter's flag representation. */
const BRANCH_TAKEN = new Map<number, string>([
  [0x10, "n === 0"],
  [0x30, "n !== 0"],
  [0x50, "v === 0"],
  [0x70, "v !== 0"],
  [0x90, "c === 0"],
  [0xb0, "c !== 0"],
  [0xd0, "notZ !== 0"],
  [0xf0, "notZ === 0"],
]);

const SET_NZ = (register: string) => `${register} = n = notZ = `;
const COMPARE = (register: string) =>
  `notZ = (${register} - o) & 0x1ff; c = notZ >> 8 ? 0 : 1; n = notZ & 0x80; notZ &= 0xff;`;
const ARITHMETIC = (fn: string) =>
  `t = ${fn}(a, o, c, d !== 0); a = n = notZ = t & 0xff; n &= 0x80; c = (t >> 8) & 1; v = t >> 9;`;

/** Operations on a read operand `o` (READ access), by opcode; all modes of one operation share it. */
const READ_OPERATIONS: [string, number[]][] = [
  [`${SET_NZ("a")}o; n &= 0x80;`, [0xa9, 0xa5, 0xb5, 0xad, 0xbd, 0xb9, 0xb1]],
  [`${SET_NZ("x")}o; n &= 0x80;`, [0xa2, 0xa6, 0xb6, 0xae, 0xbe]],
  [`${SET_NZ("y")}o; n &= 0x80;`, [0xa0, 0xa4, 0xb4, 0xac, 0xbc]],
  ["a |= o; n = a & 0x80; notZ = a;", [0x09, 0x05, 0x15, 0x0d, 0x1d, 0x19, 0x11]],
  ["a &= o; n = a & 0x80; notZ = a;", [0x29, 0x25, 0x35, 0x2d, 0x3d, 0x39, 0x31]],
  ["a ^= o; n = a & 0x80; notZ = a;", [0x49, 0x45, 0x55, 0x4d, 0x5d, 0x59, 0x51]],
  [ARITHMETIC("addWithCarry"), [0x69, 0x65, 0x75, 0x6d, 0x7d, 0x79, 0x71]],
  [ARITHMETIC("subtractWithBorrow"), [0xe9, 0xe5, 0xf5, 0xed, 0xfd, 0xf9, 0xf1]],
  [COMPARE("a"), [0xc9, 0xc5, 0xd5, 0xcd, 0xdd, 0xd9, 0xd1]],
  [COMPARE("x"), [0xe0, 0xe4, 0xec]],
  [COMPARE("y"), [0xc0, 0xc4, 0xcc]],
  ["notZ = a & o; n = o & 0x80; v = (o >> 6) & 1;", [0x24, 0x2c]],
];

/** Stores (ADDRESS access): the value written, by opcode. */
const STORED_VALUE: [string, number[]][] = [
  ["a", [0x85, 0x95, 0x8d, 0x9d, 0x99, 0x91]],
  ["x", [0x86, 0x96, 0x8e]],
  ["y", [0x84, 0x94, 0x8c]],
];

/** Read-modify-write operations: the result `t` from `o`, with the flags (the write follows). */
const MODIFY_OPERATIONS: [string, number[]][] = [
  ["c = o >> 7; t = n = notZ = (o << 1) & 0xff; n &= 0x80;", [0x06, 0x16, 0x0e, 0x1e]],
  ["c = o & 1; t = notZ = o >> 1; n = 0;", [0x46, 0x56, 0x4e, 0x5e]],
  ["t = n = notZ = ((o << 1) | c) & 0xff; c = o >> 7; n &= 0x80;", [0x26, 0x36, 0x2e, 0x3e]],
  ["t = n = notZ = (o >> 1) | (c << 7); c = o & 1; n &= 0x80;", [0x66, 0x76, 0x6e, 0x7e]],
  ["t = n = notZ = (o + 1) & 0xff; n &= 0x80;", [0xe6, 0xf6, 0xee, 0xfe]],
  ["t = n = notZ = (o - 1) & 0xff; n &= 0x80;", [0xc6, 0xd6, 0xce, 0xde]],
];

/** Implied operations on registers and flags (no memory access besides the dummy read). */
const REGISTER_OPERATIONS = new Map<number, string>([
  [0x8a, `${SET_NZ("a")}x; n &= 0x80;`], // TXA
  [0x98, `${SET_NZ("a")}y; n &= 0x80;`], // TYA
  [0xaa, `${SET_NZ("x")}a; n &= 0x80;`], // TAX
  [0xa8, `${SET_NZ("y")}a; n &= 0x80;`], // TAY
  [0xba, `${SET_NZ("x")}sp; n &= 0x80;`], // TSX
  [0x9a, "sp = x;"], // TXS
  [0xe8, `${SET_NZ("x")}(x + 1) & 0xff; n &= 0x80;`], // INX
  [0xca, `${SET_NZ("x")}(x - 1) & 0xff; n &= 0x80;`], // DEX
  [0xc8, `${SET_NZ("y")}(y + 1) & 0xff; n &= 0x80;`], // INY
  [0x88, `${SET_NZ("y")}(y - 1) & 0xff; n &= 0x80;`], // DEY
  [0x0a, "c = a >> 7; a = n = notZ = (a << 1) & 0xff; n &= 0x80;"], // ASL A
  [0x4a, "c = a & 1; a = notZ = a >> 1; n = 0;"], // LSR A
  [0x2a, "t = ((a << 1) | c) & 0xff; c = a >> 7; a = n = notZ = t; n &= 0x80;"], // ROL A
  [0x6a, "t = (a >> 1) | (c << 7); c = a & 1; a = n = notZ = t; n &= 0x80;"], // ROR A
  [0x18, "c = 0;"], // CLC
  [0x38, "c = 1;"], // SEC
  [0x58, "i = 0;"], // CLI
  [0x78, "i = 1;"], // SEI
  [0xb8, "v = 0;"], // CLV
  [0xd8, "d = 0;"], // CLD
  [0xf8, "d = 1;"], // SED
  [0xea, ""], // NOP
]);

function table(entries: [string, number[]][]): Map<number, string> {
  const map = new Map<number, string>();
  for (const [code, opcodes] of entries) for (const opcode of opcodes) map.set(opcode, code);
  return map;
}
const READ_OPERATION = table(READ_OPERATIONS);
const STORED = table(STORED_VALUE);
const MODIFY_OPERATION = table(MODIFY_OPERATIONS);

const hex = (value: number) => `0x${value.toString(16)}`;

/** Marks a jump to the address in `pc` (known only when run): `finish` writes it out. */
const DISPATCH = "/*DISPATCH*/";

/** Hands the locals to the bus before an access it decodes, and takes them back after. */
const TO_BUS = "bus.cycles = cyc; bus.dataBus = db; bus.lastAccessWasRead = rd;";
const FROM_BUS = "cyc = bus.cycles; db = bus.dataBus; rd = bus.lastAccessWasRead;";

/** Generates one region's source. Instructions that need the interpreter end the sweep. */
class RegionWriter {
  private readonly lines: string[] = [];
  /** Labels (instruction addresses) in order. */
  readonly labels: number[] = [];
  /** This instruction went through the bus: a hotspot may have switched banks. */
  private throughBus = false;
  /** This instruction wrote through the bus: the TIA may have ended the frame. */
  private wroteThroughBus = false;
  /** The furthest address a branch or jump so far goes forward to. */
  private furthestTarget = -1;
  /** Whether the last instruction can continue into the next (all but JMP and RTS). */
  private fallsThrough = true;

  constructor(
    private readonly cartridge: Cartridge,
    private readonly bank: number,
  ) {}

  private romByte(address: number): number {
    return this.cartridge.rom[this.bank + (address & this.cartridge.addressMask)];
  }

  /** Whether `address` is in the window below the hotspots (ROM a region can read as constants). */
  private isPlainRom(address: number): boolean {
    return (address & 0x1000) !== 0 && (address & 0xfff) < this.cartridge.firstHotspot;
  }

  private emit(code: string): void {
    this.lines.push(code);
  }

  /** A read at a constant address into `target` (or dropped); false where it must be interpreted. */
  private readAt(address: number, target: string | null): boolean {
    const into = target === null ? "" : `${target} = `;
    if ((address & RAM_SELECT_MASK) === RAM_SELECTED) {
      this.emit(`db = ${into}ram[${hex(address & 0x7f)}]; cyc++; rd = true;`);
    } else if (this.isPlainRom(address)) {
      this.emit(`db = ${into}${this.romByte(address)}; cyc++; rd = true;`);
    } else if ((address & 0x1000) === 0 && (address & RAM_SELECT_MASK) !== RIOT_SELECTED) {
      // The TIA (reads have no side effects, but the cycle and the data bus matter).
      this.emit(`${TO_BUS} ${into}bus.peek(${hex(address)}); ${FROM_BUS}`);
    } else {
      return false; // RIOT (the interpreter skips timer loops) and hotspots
    }
    return true;
  }

  /** A read at a computed address (in local `addr`) into `target` (or dropped). */
  private readComputed(target: string | null): void {
    const into = target === null ? "" : `${target} = `;
    this.throughBus = true;
    this.emit(
      `if ((addr & ${RAM_SELECT_MASK}) === ${RAM_SELECTED}) { db = ${into}ram[addr & 0x7f]; cyc++; rd = true; }` +
        ` else if ((addr & 0x1000) !== 0 && (addr & 0xfff) < ${this.cartridge.firstHotspot}) {` +
        ` db = ${into}rom[cart.bankOffset + (addr & ${this.cartridge.addressMask})]; cyc++; rd = true; }` +
        ` else { ${TO_BUS} ${into}bus.peek(addr); ${FROM_BUS} }`,
    );
  }

  /** A read at a constant address, or at the computed one in `addr` (null); false where it must be interpreted. */
  private read(constant: number | null, target: string | null): boolean {
    if (constant !== null) return this.readAt(constant, target);
    this.readComputed(target);
    return true;
  }

  /** A write of local `t` at a constant address, or at the computed one in `addr` (null). */
  private write(constant: number | null): boolean {
    if (constant !== null) return this.writeAt(constant);
    this.writeComputed();
    return true;
  }

  /** A write of local `t` at a constant address; false where it must be interpreted. */
  private writeAt(address: number): boolean {
    if ((address & RAM_SELECT_MASK) === RAM_SELECTED) {
      this.emit(`ram[${hex(address & 0x7f)}] = t; db = t; cyc++; rd = false;`);
    } else if ((address & 0x1000) === 0 && (address & RAM_SELECT_MASK) !== RIOT_SELECTED) {
      this.wroteThroughBus = true;
      this.emit(`${TO_BUS} bus.poke(${hex(address)}, t); ${FROM_BUS}`);
    } else {
      return false;
    }
    return true;
  }

  /** A write of local `t` at a computed address (in local `addr`). */
  private writeComputed(): void {
    this.throughBus = true;
    this.wroteThroughBus = true;
    this.emit(
      `if ((addr & ${RAM_SELECT_MASK}) === ${RAM_SELECTED}) { ram[addr & 0x7f] = t; db = t; cyc++; rd = false; }` +
        ` else { ${TO_BUS} bus.poke(addr, t); ${FROM_BUS} }`,
    );
  }

  /**
   * Leaves the region (after `setPc`) where this instruction's accesses through the bus may have
   * ended the frame (a write) or switched banks (any access).
   */
  private leaveIfDisturbed(setPc: string): void {
    if (this.wroteThroughBus) this.emit(`if (cpu.stopRequested) { ${setPc} break run; }`);
    if (this.throughBus) this.emit(`if (cart.bankOffset !== ${this.bank}) { ${setPc} break run; }`);
    this.wroteThroughBus = false;
    this.throughBus = false;
  }

  /** Leaves the region with pc at `next`. */
  private static leave(next: number): string {
    return `pc = ${hex(next)}; break run;`;
  }

  /**
   * Appends the instruction at `pc` and returns the address of the next one, or returns null (and
   * appends nothing) where the interpreter must run it.
   */
  add(pc: number): number | null {
    const opcode = this.romByte(pc);
    const decoded = DECODE[opcode];
    const mode = decoded & 0x0f;
    const access = (decoded >> 4) & 3;
    const low = this.romByte(pc + 1);
    const high = this.romByte(pc + 2);
    const start = this.lines.length;
    this.throughBus = false;
    this.wroteThroughBus = false;
    this.fallsThrough = true;
    this.emit(`case ${hex(pc)}: {`);
    this.emit("count--;");
    const next = this.instruction(pc, opcode, mode, access, low, high);
    if (next === null) {
      this.lines.length = start;
      return null;
    }
    this.leaveIfDisturbed(`pc = ${hex(next)};`);
    this.emit("}");
    this.labels.push(pc);
    return next;
  }

  /** The body of one instruction; null where it is left to the interpreter. */
  private instruction(
    pc: number,
    opcode: number,
    mode: number,
    access: number,
    low: number,
    high: number,
  ): number | null {
    const branch = BRANCH_TAKEN.get(opcode);
    if (branch !== undefined) return this.branch(pc, branch, low);
    if (opcode === 0x4c) {
      // JMP abs: the target is dispatched (or left to) like a taken branch's.
      this.emit(`cyc += 3; db = ${high}; rd = true;`);
      this.jumpTo(pc, low | (high << 8));
      this.fallsThrough = false;
      return pc + 3;
    }
    if (opcode === 0x20) {
      // JSR: the low byte, a dummy read of the stack, the return address less one pushed, then the
      // high byte.
      this.emit(`cyc += 2; db = ${low}; rd = true; addr = 0x100 | sp;`);
      this.readComputed(null);
      this.emit(`t = ${(pc + 2) >> 8};`);
      this.push();
      this.emit(`t = ${(pc + 2) & 0xff};`);
      this.push();
      this.emit(`cyc++; db = ${high}; rd = true;`);
      this.leaveIfDisturbed(`pc = ${hex(low | (high << 8))};`);
      this.jumpTo(pc, low | (high << 8));
      return pc + 3;
    }
    if (mode === IMPLIED) return this.implied(pc, opcode);

    const address = mode === ABSOLUTE || mode === ABSOLUTE_X || mode === ABSOLUTE_Y ? low | (high << 8) : low;
    const bytes = mode === ABSOLUTE || mode === ABSOLUTE_X || mode === ABSOLUTE_Y ? 3 : 2;
    const operation =
      access === READ
        ? READ_OPERATION.get(opcode)
        : access === ADDRESS
          ? STORED.get(opcode)
          : MODIFY_OPERATION.get(opcode);
    if (operation === undefined) return null;
    // The opcode and operand bytes.
    this.emit(`cyc += ${bytes}; db = ${bytes === 3 ? high : low}; rd = true;`);
    if (mode === IMMEDIATE) {
      this.emit(`o = ${low}; ${operation}`);
      return pc + 2;
    }

    // The effective address: constant, or computed into `addr` after the indexing's dummy reads.
    let constant: number | null = null;
    switch (mode) {
      case ZERO_PAGE:
      case ABSOLUTE:
        constant = address;
        break;
      case ZERO_PAGE_X:
      case ZERO_PAGE_Y:
        if (!this.readAt(low, null)) return null;
        this.emit(`addr = (${low} + ${mode === ZERO_PAGE_X ? "x" : "y"}) & 0xff;`);
        break;
      case ABSOLUTE_X:
      case ABSOLUTE_Y: {
        const index = mode === ABSOLUTE_X ? "x" : "y";
        this.emit(`addr = (${address} + ${index}) & 0xffff;`);
        this.dummyReadBeforeFix(access, `(${high << 8} | ((${low} + ${index}) & 0xff))`, `${high}`);
        break;
      }
      case INDIRECT_INDEXED:
        if (low === 0xff || (low & RAM_SELECT_MASK) !== RAM_SELECTED) return null; // pointers live in RAM
        this.emit(
          `pl = ram[${hex(low & 0x7f)}]; db = ph = ram[${hex((low + 1) & 0x7f)}]; cyc += 2;` +
            " addr = (((ph << 8) | pl) + y) & 0xffff;",
        );
        this.dummyReadBeforeFix(access, "((ph << 8) | ((pl + y) & 0xff))", "ph");
        break;
      default:
        return null; // (zp,X) and the rest: rare in the supported games
    }

    if (access === ADDRESS) {
      this.emit(`t = ${operation};`);
      return this.write(constant) ? pc + bytes : null;
    }
    if (!this.read(constant, "o")) return null;
    if (access === READ) {
      this.emit(operation);
      return pc + bytes;
    }
    // Read-modify-write: the unchanged value is written back first, then the result.
    if (access !== READ_MODIFY_WRITE) return null;
    this.emit("t = o;");
    if (!this.write(constant)) return null;
    this.emit(operation);
    this.write(constant);
    return pc + bytes;
  }

  /**
   * Indexed addressing reads first with the low byte added but no carry into the high byte: always
   * for stores and read-modify-writes, only when a page is crossed for reads.
   */
  private dummyReadBeforeFix(access: number, unfixed: string, highByte: string): void {
    const saved = this.lines.length;
    this.emit("t = addr;");
    this.emit(`addr = ${unfixed};`);
    this.readComputed(null);
    this.emit("addr = t;");
    if (access === READ) {
      const body = this.lines.splice(saved).join(" ");
      this.emit(`if (addr >> 8 !== ${highByte}) { ${body} }`);
    }
  }

  private implied(pc: number, opcode: number): number | null {
    // The byte after the opcode is read and dropped.
    const dummy = `cyc += 2; db = ${this.romByte(pc + 1)}; rd = true;`;
    const operation = REGISTER_OPERATIONS.get(opcode);
    if (operation !== undefined) {
      this.emit(`${dummy} ${operation}`);
      return pc + 1;
    }
    if (opcode === 0x48 || opcode === 0x08) {
      // PHA, PHP: kernels point the stack at the TIA (ENAM0/ENAM1/ENABL) to set them from a flag.
      this.emit(dummy);
      this.emit(`t = ${opcode === 0x48 ? "a" : "packStatus(n, v, d, i, notZ, c)"};`);
      this.push();
      return pc + 1;
    }
    if (opcode === 0x68 || opcode === 0x28) {
      // PLA, PLP: a dummy read of the stack, then the pull.
      this.emit(dummy);
      this.pull("o");
      this.emit(
        opcode === 0x68
          ? `${SET_NZ("a")}o; n &= 0x80;`
          : "n = o & 0x80; v = (o >> 6) & 1; d = (o >> 3) & 1; i = (o >> 2) & 1; notZ = o & 0x02 ? 0 : 1; c = o & 1;",
      );
      return pc + 1;
    }
    if (opcode === 0x60) {
      // RTS: pull the return address less one, read there and drop it, continue after it.
      this.emit(dummy);
      this.pull("pl");
      this.emit("sp = (sp + 1) & 0xff; addr = 0x100 | sp;");
      this.readComputed("ph");
      this.emit("addr = (ph << 8) | pl;");
      this.readComputed(null);
      this.emit("pc = (addr + 1) & 0xffff;");
      this.leaveIfDisturbed("");
      this.emit(DISPATCH);
      this.fallsThrough = false;
      return pc + 1;
    }
    return null; // RTI, BRK and the undocumented NOPs
  }

  /** Pushes local `t`. */
  private push(): void {
    this.emit("addr = 0x100 | sp;");
    this.writeComputed();
    this.emit("sp = (sp - 1) & 0xff;");
  }

  /** A pull into `target`: the stack pointer's byte is read and dropped, then the next one read. */
  private pull(target: string): void {
    this.emit("addr = 0x100 | sp;");
    this.readComputed(null);
    this.emit("sp = (sp + 1) & 0xff; addr = 0x100 | sp;");
    this.readComputed(target);
  }

  private branch(pc: number, taken: string, offset: number): number | null {
    const next = pc + 2;
    const target = (next + ((offset << 24) >> 24)) & 0xffff;
    // Taken: the next opcode is read and dropped, and once more in the target's page when it differs.
    let dummies = `cyc++; db = ${this.romByte(next)};`;
    if ((target ^ next) & 0xff00) {
      const unfixed = (next & 0xff00) | (target & 0xff);
      if (!this.isPlainRom(unfixed)) return null;
      dummies += ` cyc++; db = ${this.romByte(unfixed)};`;
    }
    this.emit(`cyc += 2; db = ${offset}; rd = true;`);
    this.emit(`if (${taken}) { ${dummies}`);
    this.jumpTo(pc, target);
    this.emit("}");
    return next;
  }

  /** Continues at `target`: inside the region (a backwards jump checks the instruction limit) or out. */
  private jumpTo(pc: number, target: number): void {
    this.furthestTarget = Math.max(this.furthestTarget, target);
    // Whether the target is a label is only known once the sweep ends: `finish` resolves the marker.
    this.emit(`/*JUMP ${pc} ${target}*/`);
  }

  /**
   * Whether the sweep should go on at `next`: the code after a JMP belongs to the region only when
   * a branch or jump seen so far leads there (else it may be data, or another routine).
   */
  continuesAt(next: number): boolean {
    return this.fallsThrough || next <= this.furthestTarget;
  }

  /** The region's cases, jumps resolved now that every label is known, then the exit at `end`. */
  finish(end: number): string {
    const labels = new Set(this.labels);
    const size = this.labels.length;
    const body = this.lines.join("\n").replace(/\/\*JUMP (\d+) (\d+)\*\//g, (_, from: string, to: string) => {
      const target = Number(to);
      if (!labels.has(target)) return `pc = ${hex(target)}; break run;`;
      const check = target <= Number(from) ? `if (count < ${size}) break run; ` : "";
      return `pc = ${hex(target)}; ${check}continue run;`;
    });
    // A computed target may lie anywhere (the switch leaves the region for any other address).
    return `${body.replaceAll(DISPATCH, `if (count < ${size}) break run; continue run;`)}\n${RegionWriter.leave(end)}`;
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
      "let o = 0, t = 0, addr = 0, pl = 0, ph = 0;\n" +
      "run: for (;;) {\nswitch (pc) {\n" +
      writer.finish(pc) +
      "\ndefault: break run;\n}\n}\n" +
      "cpu.a = a; cpu.x = x; cpu.y = y; cpu.sp = sp; cpu.n = n; cpu.v = v; cpu.d = d; cpu.i = i; cpu.notZ = notZ; cpu.c = c;\n" +
      "cpu.pc = pc; bus.cycles = cyc; bus.dataBus = db; bus.lastAccessWasRead = rd;\n" +
      "return count;\n};";
    let region = compiledSources.get(source);
    if (region === undefined) {
      try {
        region = new Function("addWithCarry", "subtractWithBorrow", "packStatus", source)(
          addWithCarry,
          subtractWithBorrow,
          packStatus,
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
