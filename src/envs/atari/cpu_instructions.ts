/**
 * The 6502's instruction set, written once: for each opcode its addressing mode, how it uses its
 * operand, its cycle count and what it does, as a snippet of JavaScript over named locals. Both
 * emulators of the 6507 are written from this table, as Stella generates its core from one file:
 * - the interpreter, which scripts/build-cpu.ts generates at build time into build/cpu_interpreter.ts
 *   (ahead of time, so that it runs where a page forbids compiling code);
 * - the recompiler (./recompiler.ts), which translates runs of ROM into JavaScript at run time.
 *
 * The snippets work on the registers `a x y sp pc`, the flags `n v d i notZ c` (as Cpu6507 keeps
 * them: N in bit 7, `notZ` zero exactly when Z is set, the others 0 or 1), the operand `o`, the
 * result to write `t`, the arithmetic result `r` and the effective address `addr`. Every bus access
 * goes through an `Emitter`: the sequence of accesses the chip makes, one cycle each, dummy reads
 * and writes included, so that cycle counts come out exact. Each emulator implements it in its own
 * way: the interpreter with run-time checks on the address, the recompiler with the instruction's
 * bytes known, working out addresses, branch targets and ROM bytes as it writes the code. The cycle
 * counts in the table are what those accesses add up to (the tests hold both emulators to them).
 * Undocumented opcodes behave as in Stella 2.x, which ALE 0.12.1 embeds; decimal mode follows its
 * table-based BCD arithmetic too.
 */

// ---- addressing modes: the bytes after the opcode, and how the effective address is formed ----

/**
 * `imp`: no operand (the chip reads the next byte anyway and drops it); `imm`: the next byte is the
 * operand; `zp`, `zpx`, `zpy`: a zero-page address, plus X or Y within page 0; `abs`, `absx`, `absy`:
 * a 16-bit address, plus X or Y; `izx`: (zp,X), the address in the pointer at zp + X; `izy`: (zp),Y,
 * the address in the pointer at zp, plus Y; `rel`: a branch's signed offset; `jsr`: JSR's target, whose high byte is read only after the
 * pushes; `jam`: nothing more is read (the CPU locks up).
 */
export type Mode =
  | "imp"
  | "imm"
  | "zp"
  | "zpx"
  | "zpy"
  | "abs"
  | "absx"
  | "absy"
  | "izx"
  | "izy"
  | "rel"
  | "jsr"
  | "jam";

/** Bytes read after the opcode before the operation starts, by mode (JSR reads one more later). */
export const OPERAND_BYTES: Record<Mode, number> = {
  imp: 0,
  imm: 1,
  zp: 1,
  zpx: 1,
  zpy: 1,
  abs: 2,
  absx: 2,
  absy: 2,
  izx: 1,
  izy: 1,
  rel: 1,
  jsr: 1,
  jam: 0,
};

/** The instruction's length in bytes, the opcode included. */
export function instructionLength(mode: Mode): number {
  return mode === "jsr" ? 3 : 1 + OPERAND_BYTES[mode];
}

/**
 * How the operation uses the effective address: `read` reads the operand into `o` (indexed modes
 * take their extra cycle only when a page is crossed); `write` writes `t`, which the snippet sets;
 * `modify` reads `o`, writes it back unchanged, then writes the `t` the snippet computes (the 6502's
 * read-modify-write); `none` makes whatever accesses it needs itself (the stack, jumps, branches).
 */
export type Access = "none" | "read" | "write" | "modify";

// ---- where an access goes, which lets each emulator pick the cheapest code for it ----

/**
 * RIOT RAM on the console's bus: A12 low, A9 low, A7 high (A12 high is the cartridge; A12 and A7
 * low the TIA). The emulators read and write it straight in its array.
 */
export const RAM_SELECT_MASK = 0x1280;
export const RAM_SELECTED = 0x0080;
/** The RIOT's ports and timer: A12 low, A9 and A7 high. */
export const RIOT_SELECTED = 0x0280;

/**
 * Where an access goes: `ramOrTia`, page 0 or 1 (zero page, the stack), RIOT RAM when A7 is set, else
 * the TIA; `code`, the instruction stream (the byte at the pc); `any`, anywhere.
 */
export type Space = "ramOrTia" | "code" | "any";

/**
 * The instruction's bytes, as JavaScript expressions: the interpreter's locals, or literal numbers
 * where the recompiler knows them.
 */
export interface Operand {
  /** The byte after the opcode. */
  low: string;
  /** The one after it (absolute modes). */
  high: string;
  /** The address after the bytes read so far. */
  pc: string;
}

/** What an emulator provides to write an instruction's code: its bus accesses and control flow. */
export interface Emitter {
  /** Appends statements over the named locals. */
  code(statements: string): void;
  /**
   * A read (one cycle) into the local `into`, or dropped; returns what stands for the value read
   * after it: `into`, or a literal where the emulator knows it.
   */
  read(address: string, space: Space, into?: string): string;
  /** A write (one cycle) of `value`, a local or a literal. */
  write(address: string, space: Space, value: string): void;
  /** `name = value`; returns what stands for the value after it: `name`, or a literal. */
  bind(name: string, value: string): string;
  /** Code that runs only when `condition` holds. */
  when(condition: string, body: () => void): void;
  /** Goes on at `target` (JMP, RTS, RTI, BRK, a taken branch). */
  jump(target: string): void;
  /** Goes on at `target`, the code after the call being where the subroutine returns (JSR). */
  call(target: string): void;
  /** The jam opcodes: the CPU locks up. */
  halt(): void;
}

// ---- arithmetic (pure functions: result in bits 0-7, carry in bit 8, overflow in bit 9) ----

const CARRY_OUT = 0x100;
const OVERFLOW_OUT = 0x200;

/** BCD digits -> binary (row 0) and binary -> BCD (row 1), laid out as one array like Stella's. */
const BCD = new Uint8Array(512);
for (let t = 0; t < 256; t++) {
  BCD[t] = (t >> 4) * 10 + (t & 0x0f);
  BCD[256 + t] = ((((t % 100) / 10) | 0) << 4) | (t % 10);
}

/** ADC: binary, or decimal with Stella's BCD tables. */
export function addWithCarry(a: number, operand: number, carry: number, decimal: boolean): number {
  if (!decimal) {
    const sum = a + operand + carry;
    return (sum & 0x1ff) | (((a ^ sum) & (operand ^ sum) & 0x80) << 2);
  }
  const sum = BCD[a] + BCD[operand] + carry;
  const result = BCD[256 + (sum & 0xff)];
  const overflow = ((a ^ result) & 0x80) !== 0 && ((result ^ operand) & 0x80) !== 0;
  return result | (sum > 99 ? CARRY_OUT : 0) | (overflow ? OVERFLOW_OUT : 0);
}

/** SBC: binary (ADC of the complement), or decimal with Stella's BCD tables. */
export function subtractWithBorrow(a: number, operand: number, carry: number, decimal: boolean): number {
  if (!decimal) return addWithCarry(a, operand ^ 0xff, carry, false);
  const borrow = carry ? 0 : 1;
  let difference = BCD[a] - BCD[operand] - borrow;
  if (difference < 0) difference += 100;
  // Stella indexes row 1 of its [2][256] table with what is left; below zero that reads row 0.
  const result = BCD[256 + difference];
  const overflow = ((a ^ result) & 0x80) !== 0 && ((result ^ operand) & 0x80) !== 0;
  return result | (a >= operand + borrow ? CARRY_OUT : 0) | (overflow ? OVERFLOW_OUT : 0);
}

/**
 * ARR: AND, then ROR A with odd flag rules (and a BCD fix-up in decimal mode). Besides carry and
 * overflow, bit 10 holds N and bit 11 is set when Z is.
 */
export function andRotateRight(a: number, operand: number, carry: number, decimal: boolean): number {
  const value = a & operand;
  let result = (value >> 1) | (carry << 7);
  if (!decimal) {
    const overflow = ((result & 0x40) ^ ((result & 0x20) << 1)) !== 0;
    return (
      result |
      ((result >> 6) & 1 ? CARRY_OUT : 0) |
      (overflow ? OVERFLOW_OUT : 0) |
      ((result & 0x80) << 3) |
      (result === 0 ? 0x800 : 0)
    );
  }
  const flags =
    (carry << 10) | (result === 0 ? 0x800 : 0) | (((value ^ result) & 0x40) !== 0 ? OVERFLOW_OUT : 0);
  if ((value & 0x0f) + (value & 0x01) > 0x05) result = (result & 0xf0) | ((result + 0x06) & 0x0f);
  if ((value & 0xf0) + (value & 0x10) > 0x50) return ((result + 0x60) & 0xff) | CARRY_OUT | flags;
  return result | flags;
}

/** The status byte from the flags; the 6507's B flag and the unused bit always read 1. */
export function packStatus(n: number, v: number, d: number, i: number, notZ: number, c: number): number {
  return n | (v << 6) | 0x30 | (d << 3) | (i << 2) | (notZ === 0 ? 0x02 : 0) | c;
}

/** The functions the snippets call, by the names they call them. */
export const SNIPPET_FUNCTIONS = { addWithCarry, subtractWithBorrow, andRotateRight, packStatus };

// ---- the snippets' building blocks ----

/** `register` (or several, `a = x`) and N and Z from `value`. */
const load = (register: string, value: string) => `${register} = n = notZ = ${value}; n &= 0x80;`;
/** A logic operation of A with `operand`. */
const logic = (operator: string, operand: string) => `a ${operator}= ${operand}; n = a & 0x80; notZ = a;`;
/** ADC or SBC of A with `operand`. */
const arithmetic = (fn: string, operand: string) =>
  `r = ${fn}(a, ${operand}, c, d !== 0); a = n = notZ = r & 0xff; n &= 0x80; c = (r >> 8) & 1; v = r >> 9;`;
/** CMP, CPX, CPY: `register - operand`, setting N, Z and C. */
const compare = (register: string, operand: string) =>
  `notZ = (${register} - ${operand}) & 0x1ff; c = notZ >> 8 ? 0 : 1; n = notZ & 0x80; notZ &= 0xff;`;
/** The flags from a status byte (PLP, RTI, Cpu6507.setStatus). */
export const unpackStatus = (status: string) =>
  `n = ${status} & 0x80; v = (${status} >> 6) & 1; d = (${status} >> 3) & 1; i = (${status} >> 2) & 1;` +
  ` notZ = ${status} & 0x02 ? 0 : 1; c = ${status} & 1;`;

// The read-modify-write operations: `t` from `o`, with the flags.
const ASL = "c = o >> 7; t = n = notZ = (o << 1) & 0xff; n &= 0x80;";
const LSR = "c = o & 1; t = notZ = o >> 1; n = 0;";
const ROL = "t = n = notZ = ((o << 1) | c) & 0xff; c = o >> 7; n &= 0x80;";
const ROR = "t = n = notZ = (o >> 1) | (c << 7); c = o & 1; n &= 0x80;";
const INC = "t = n = notZ = (o + 1) & 0xff; n &= 0x80;";
const DEC = "t = n = notZ = (o - 1) & 0xff; n &= 0x80;";
/** A read-modify-write operation on a register instead of memory. */
const onRegister = (register: string, operation: string) => `o = ${register}; ${operation} ${register} = t;`;

const STACK = "0x100 | sp";

function push(e: Emitter, value: string): void {
  e.write(STACK, "ramOrTia", e.bind("t", value));
  e.code("sp = (sp - 1) & 0xff;");
}

/** The stack pointer's byte is read and dropped, then the one above it pulled into `into`. */
function pull(e: Emitter, into: string): string {
  e.read(STACK, "ramOrTia");
  return pullNext(e, into);
}

/** The next byte up the stack, into `into`. */
function pullNext(e: Emitter, into: string): string {
  e.code("sp = (sp + 1) & 0xff;");
  return e.read(STACK, "ramOrTia", into);
}

/**
 * Taken when `condition` holds: the next opcode is read and dropped, and once more in the target's
 * page when it differs, as the chip fixes the high byte.
 */
function branch(e: Emitter, { low, pc }: Operand, condition: string): void {
  e.when(condition, () => {
    e.read(pc, "code");
    const target = e.bind("t", `(${pc} + ((${low} << 24) >> 24)) & 0xffff`);
    e.when(`((${target}) ^ ${pc}) & 0xff00`, () => e.read(`(${pc} & 0xff00) | ((${target}) & 0xff)`, "any"));
    e.jump(target);
  });
}

/** SHA, SHS, SHX, SHY store a register ANDed with the target's high byte + 1. */
const andHighPlusOne = (value: string) => (e: Emitter, _: Operand, address: string) =>
  e.code(`t = ${value} & (((${address} >> 8) + 1) & 0xff);`);

// ---- the table ----

/** What an operation does: statements, or a function emitting them (given the effective address). */
type Run = string | ((e: Emitter, operand: Operand, address: string) => void);

/** One operation in its addressing modes. */
interface Operation {
  name: string;
  access: Access;
  opcodes: Partial<Record<Mode, number | number[]>>;
  run: Run;
  /** Cycles, where they do not follow from the mode and the access (BASE_CYCLES). */
  cycles?: number;
}

/** The operations with an operand in memory (or immediate), by how they use it. */
const withOperand =
  (access: Access) =>
  (name: string, opcodes: Operation["opcodes"], run: Run): Operation => ({ name, access, opcodes, run });
const read = withOperand("read");
const write = withOperand("write");
const modify = withOperand("modify");
const implied = (name: string, opcode: number, run: Run, cycles = 2): Operation => ({
  name,
  access: "none",
  opcodes: { imp: opcode },
  run,
  cycles,
});
/** The branch taken when a flag is clear, and the one taken when it is set (the opcode with bit 5 set). */
const branches = (onClear: string, onSet: string, opcode: number, clear: string, set: string): Operation[] =>
  [onClear, onSet].map((name, bit) => ({
    name,
    access: "none",
    opcodes: { rel: opcode | (bit << 5) },
    run: (e, operand) => branch(e, operand, bit ? set : clear),
    cycles: 2,
  }));
/** The instruction clearing a flag, and the one setting it (bit 5 set). */
const clearAndSet = (clear: string, set: string, opcode: number, flag: string): Operation[] => [
  implied(clear, opcode, `${flag} = 0;`),
  implied(set, opcode | 0x20, `${flag} = 1;`),
];
/** A shift in memory (zero page first) and on A (at zero page + 4). */
const shift = (name: string, zp: number, operation: string): Operation[] => [
  modify(name, rmw(zp), operation),
  implied(`${name} A`, zp + 4, onRegister("a", operation)),
];

/**
 * The eight modes of the opcodes whose low bits are 01 (ORA AND EOR ADC STA LDA CMP SBC): bits 2-4
 * pick the mode. The undocumented read-modify-writes (low bits 11) number theirs the same way.
 */
const group = (base: number) => ({
  izx: base,
  zp: base + 0x04,
  imm: base + 0x08,
  abs: base + 0x0c,
  izy: base + 0x10,
  zpx: base + 0x14,
  absy: base + 0x18,
  absx: base + 0x1c,
});
/** A group's modes, immediate aside (that opcode does something else). */
const noImmediate = (base: number) => ({ ...group(base), imm: [] });
/** The read-modify-write modes of the opcodes whose low bits are 10. */
const rmw = (zp: number) => ({ zp, zpx: zp + 0x10, abs: zp + 0x08, absx: zp + 0x18 });

const OPERATIONS: Operation[] = [
  // ---- loads and stores ----
  read("LDA", group(0xa1), load("a", "o")),
  read("LDX", { imm: 0xa2, zp: 0xa6, zpy: 0xb6, abs: 0xae, absy: 0xbe }, load("x", "o")),
  read("LDY", { imm: 0xa0, zp: 0xa4, zpx: 0xb4, abs: 0xac, absx: 0xbc }, load("y", "o")),
  write("STA", noImmediate(0x81), "t = a;"),
  write("STX", { zp: 0x86, zpy: 0x96, abs: 0x8e }, "t = x;"),
  write("STY", { zp: 0x84, zpx: 0x94, abs: 0x8c }, "t = y;"),

  // ---- logic, arithmetic, comparisons ----
  read("ORA", group(0x01), logic("|", "o")),
  read("AND", group(0x21), logic("&", "o")),
  read("EOR", group(0x41), logic("^", "o")),
  read("ADC", group(0x61), arithmetic("addWithCarry", "o")),
  read("SBC", { ...group(0xe1), imm: [0xe9, 0xeb] }, arithmetic("subtractWithBorrow", "o")),
  read("CMP", group(0xc1), compare("a", "o")),
  read("CPX", { imm: 0xe0, zp: 0xe4, abs: 0xec }, compare("x", "o")),
  read("CPY", { imm: 0xc0, zp: 0xc4, abs: 0xcc }, compare("y", "o")),
  read("BIT", { zp: 0x24, abs: 0x2c }, "notZ = a & o; n = o & 0x80; v = (o >> 6) & 1;"),

  // ---- shifts and steps, in memory and on registers ----
  ...shift("ASL", 0x06, ASL),
  ...shift("ROL", 0x26, ROL),
  ...shift("LSR", 0x46, LSR),
  ...shift("ROR", 0x66, ROR),
  modify("DEC", rmw(0xc6), DEC),
  modify("INC", rmw(0xe6), INC),
  ...(
    [
      ["INX", 0xe8, "x", INC],
      ["INY", 0xc8, "y", INC],
      ["DEX", 0xca, "x", DEC],
      ["DEY", 0x88, "y", DEC],
    ] as const
  ).map(([name, opcode, register, step]) => implied(name, opcode, onRegister(register, step))),

  // ---- transfers and flags ----
  implied("TAX", 0xaa, load("x", "a")),
  implied("TAY", 0xa8, load("y", "a")),
  implied("TSX", 0xba, load("x", "sp")),
  implied("TXA", 0x8a, load("a", "x")),
  implied("TYA", 0x98, load("a", "y")),
  implied("TXS", 0x9a, "sp = x;"),
  ...clearAndSet("CLC", "SEC", 0x18, "c"),
  ...clearAndSet("CLI", "SEI", 0x58, "i"),
  ...clearAndSet("CLD", "SED", 0xd8, "d"),
  implied("CLV", 0xb8, "v = 0;"),

  // ---- the stack ----
  implied("PHA", 0x48, (e) => push(e, "a"), 3),
  implied("PHP", 0x08, (e) => push(e, "packStatus(n, v, d, i, notZ, c)"), 3),
  implied("PLA", 0x68, (e) => e.code(load("a", pull(e, "o"))), 4),
  implied("PLP", 0x28, (e) => e.code(unpackStatus(pull(e, "o"))), 4),

  // ---- branches: +1 cycle when taken, +1 more into another page ----
  ...branches("BPL", "BMI", 0x10, "n === 0", "n !== 0"),
  ...branches("BVC", "BVS", 0x50, "v === 0", "v !== 0"),
  ...branches("BCC", "BCS", 0x90, "c === 0", "c !== 0"),
  ...branches("BNE", "BEQ", 0xd0, "notZ !== 0", "notZ === 0"),

  // ---- jumps, subroutines, interrupts ----
  { name: "JMP", access: "none", opcodes: { abs: 0x4c }, run: (e, _, address) => e.jump(address), cycles: 3 },
  {
    // The vector's high byte comes from the same page: no carry into it ($xxFF bug).
    name: "JMP (indirect)",
    access: "none",
    opcodes: { abs: 0x6c },
    run: (e, _, address) => {
      const low = e.read(address, "any", "o");
      const high = e.read(`(${address} & 0xff00) | ((${address} + 1) & 0xff)`, "any", "t");
      e.jump(`${low} | (${high} << 8)`);
    },
    cycles: 5,
  },
  {
    // A dummy read of the stack, the return address less one pushed, then the target's high byte.
    name: "JSR",
    access: "none",
    opcodes: { jsr: 0x20 },
    run: (e, { low, pc }) => {
      e.read(STACK, "ramOrTia");
      push(e, `${pc} >> 8`);
      push(e, `${pc} & 0xff`);
      e.call(`${low} | (${e.read(pc, "code", "high")} << 8)`);
    },
    cycles: 6,
  },
  implied(
    "RTS",
    0x60,
    (e) => {
      // The return address less one is pulled, read there and dropped, and the pc goes on after it.
      const low = pull(e, "o");
      const address = e.bind("addr", `${low} | (${pullNext(e, "t")} << 8)`);
      e.read(address, "any");
      e.jump(`(${address} + 1) & 0xffff`);
    },
    6,
  ),
  implied(
    "RTI",
    0x40,
    (e) => {
      e.code(unpackStatus(pull(e, "o")));
      const low = pullNext(e, "o");
      e.jump(`${low} | (${pullNext(e, "t")} << 8)`);
    },
    6,
  ),
  {
    name: "BRK",
    access: "none",
    opcodes: { imm: 0x00 },
    run: (e, { pc }) => {
      push(e, `${pc} >> 8`);
      push(e, `${pc} & 0xff`);
      push(e, "packStatus(n, v, d, i, notZ, c)");
      e.code("i = 1;");
      const low = e.read("0xfffe", "any", "o");
      e.jump(`${low} | (${e.read("0xffff", "any", "t")} << 8)`);
    },
    cycles: 7,
  },

  // ---- NOPs: the reading ones take their reads and change nothing ----
  ...[0xea, 0x1a, 0x3a, 0x5a, 0x7a, 0xda, 0xfa].map((opcode) => implied("NOP", opcode, "")),
  read(
    "NOP",
    {
      imm: [0x80, 0x82, 0x89, 0xc2, 0xe2],
      zp: [0x04, 0x44, 0x64],
      zpx: [0x14, 0x34, 0x54, 0x74, 0xd4, 0xf4],
      abs: 0x0c,
      absx: [0x1c, 0x3c, 0x5c, 0x7c, 0xdc, 0xfc],
    },
    "",
  ),

  // ---- the other undocumented opcodes: mostly two documented operations in one ----
  read("LAX", { zp: 0xa7, zpy: 0xb7, abs: 0xaf, absy: 0xbf, izx: 0xa3, izy: 0xb3 }, load("a = x", "o")),
  write("SAX", { zp: 0x87, zpy: 0x97, abs: 0x8f, izx: 0x83 }, "t = a & x;"),
  modify("SLO", noImmediate(0x03), `${ASL} ${logic("|", "t")}`),
  modify("RLA", noImmediate(0x23), `${ROL} ${logic("&", "t")}`),
  modify("SRE", noImmediate(0x43), `${LSR} ${logic("^", "t")}`),
  modify("RRA", noImmediate(0x63), `${ROR} ${arithmetic("addWithCarry", "t")}`),
  modify("DCP", noImmediate(0xc3), `${DEC} ${compare("a", "t")}`),
  modify("ISB", noImmediate(0xe3), `${INC} ${arithmetic("subtractWithBorrow", "t")}`),
  read("ANC", { imm: [0x0b, 0x2b] }, `${logic("&", "o")} c = n >> 7;`),
  read("ASR", { imm: 0x4b }, `${logic("&", "o")} ${onRegister("a", LSR)}`),
  read(
    "ARR",
    { imm: 0x6b },
    "r = andRotateRight(a, o, c, d !== 0); a = r & 0xff; c = (r >> 8) & 1; v = (r >> 9) & 1;" +
      " n = (r >> 3) & 0x80; notZ = r & 0x800 ? 0 : 1;",
  ),
  read("ANE", { imm: 0x8b }, load("a", "(a | 0xee) & x & o")),
  read("LXA", { imm: 0xab }, load("a = x", "(a | 0xee) & o")),
  read("SBX", { imm: 0xcb }, `${compare("(a & x)", "o")} x = notZ;`),
  read("LAS", { absy: 0xbb }, load("sp = a = x", "sp & o")),
  write("SHA", { absy: 0x9f, izy: 0x93 }, andHighPlusOne("a & x")),
  write("SHS", { absy: 0x9b }, (e, operand, address) => {
    e.code("sp = a & x;");
    andHighPlusOne("a & x")(e, operand, address);
  }),
  write("SHX", { absy: 0x9e }, andHighPlusOne("x")),
  write("SHY", { absx: 0x9c }, andHighPlusOne("y")),
];

/** Cycles of the operations with memory operands, by access and mode (no page crossed). */
const BASE_CYCLES: Record<Exclude<Access, "none">, Partial<Record<Mode, number>>> = {
  read: { imm: 2, zp: 3, zpx: 4, zpy: 4, abs: 4, absx: 4, absy: 4, izx: 6, izy: 5 },
  write: { zp: 3, zpx: 4, zpy: 4, abs: 4, absx: 5, absy: 5, izx: 6, izy: 6 },
  modify: { zp: 5, zpx: 6, abs: 6, absx: 7, absy: 7, izx: 8, izy: 8 },
};

/** One opcode: its operation in one addressing mode. */
export interface Instruction {
  opcode: number;
  name: string;
  mode: Mode;
  access: Access;
  /** Cycles taken, with no page crossed and no branch taken. */
  cycles: number;
  run: Run;
}

/** Every opcode, by value; those the table does not name jam (0x02, 0x12, ...). */
export const INSTRUCTIONS: readonly Instruction[] = (() => {
  const instructions: Instruction[] = Array.from({ length: 256 }, (_, opcode) => ({
    opcode,
    name: "JAM",
    mode: "jam" as Mode,
    access: "none" as Access,
    cycles: 1,
    run: (e: Emitter) => e.halt(),
  }));
  for (const { name, access, opcodes, run, cycles } of OPERATIONS) {
    for (const [mode, values] of Object.entries(opcodes) as [Mode, number | number[]][]) {
      for (const opcode of typeof values === "number" ? [values] : values) {
        if (instructions[opcode].name !== "JAM") throw new Error(`opcode ${opcode} defined twice`);
        const cyclesTaken = cycles ?? (access === "none" ? undefined : BASE_CYCLES[access][mode]);
        if (cyclesTaken === undefined) throw new Error(`no cycle count for opcode ${opcode}`);
        instructions[opcode] = { opcode, name, mode, access, cycles: cyclesTaken, run };
      }
    }
  }
  return instructions;
})();

// ---- an instruction after its bytes are read: the effective address, the operand, the operation ----

/** Where the effective address of `mode` lies: page 0 for the zero-page modes, else anywhere. */
const spaceOf = (mode: Mode): Space =>
  mode === "zp" || mode === "zpx" || mode === "zpy" ? "ramOrTia" : "any";

/**
 * The part of an instruction that its mode and access decide, from where its bytes have been read:
 * the effective address (left in `addr`) with the dummy reads of indexing, then the operand. Returns
 * what stands for the address ("" where the mode has none).
 */
export function emitAddressing(mode: Mode, access: Access, operand: Operand, e: Emitter): string {
  const address = effectiveAddress(mode, access, operand, e);
  if (access === "read") {
    if (mode === "imm") e.code(`o = ${operand.low};`);
    else e.read(address, spaceOf(mode), "o");
  } else if (access === "modify") {
    e.write(address, spaceOf(mode), e.read(address, spaceOf(mode), "o"));
  }
  return address;
}

/** The rest of the instruction: its operation and, for writes, the write. */
export function emitOperation(instruction: Instruction, operand: Operand, address: string, e: Emitter): void {
  const { mode, access, run } = instruction;
  if (typeof run === "string") e.code(run);
  else run(e, operand, address);
  if (access === "write" || access === "modify") e.write(address, spaceOf(mode), "t");
}

/** A whole instruction, from where its bytes have been read. */
export function emitInstruction(instruction: Instruction, operand: Operand, e: Emitter): void {
  const address = emitAddressing(instruction.mode, instruction.access, operand, e);
  emitOperation(instruction, operand, address, e);
}

/** The effective address's dummy reads and its value (empty where the mode has no address). */
function effectiveAddress(mode: Mode, access: Access, { low, high }: Operand, e: Emitter): string {
  switch (mode) {
    case "zp":
      return e.bind("addr", low);
    case "zpx":
    case "zpy":
      // The base address is read first, then the indexed one (wrapping within page 0).
      e.read(low, "ramOrTia");
      return e.bind("addr", `(${low} + ${mode === "zpx" ? "x" : "y"}) & 0xff`);
    case "abs":
      return e.bind("addr", `${low} | (${high} << 8)`);
    case "absx":
    case "absy": {
      const index = mode === "absx" ? "x" : "y";
      const address = e.bind("addr", `((${low} | (${high} << 8)) + ${index}) & 0xffff`);
      indexedDummyRead(access, address, high, `(${high} << 8) | ((${low} + ${index}) & 0xff)`, e);
      return address;
    }
    case "izx": {
      e.read(low, "ramOrTia");
      const pointer = e.bind("addr", `(${low} + x) & 0xff`);
      const pointerLow = e.read(pointer, "ramOrTia", "o");
      const pointerHigh = e.read(`(${pointer} + 1) & 0xff`, "ramOrTia", "t");
      return e.bind("addr", `${pointerLow} | (${pointerHigh} << 8)`);
    }
    case "izy": {
      // The pointer's two bytes from page 0, then as abs,Y.
      const pointerLow = e.read(low, "ramOrTia", "o");
      const pointerHigh = e.read(`(${low} + 1) & 0xff`, "ramOrTia", "t");
      const address = e.bind("addr", `((${pointerLow} | (${pointerHigh} << 8)) + y) & 0xffff`);
      const unfixed = `(${pointerHigh} << 8) | ((${pointerLow} + y) & 0xff)`;
      indexedDummyRead(access, address, pointerHigh, unfixed, e);
      return address;
    }
    default:
      return "";
  }
}

/**
 * Indexed addressing reads first with the index added to the low byte but no carry into the high
 * byte: always for writes and read-modify-writes, only when a page is crossed for reads.
 */
function indexedDummyRead(access: Access, address: string, high: string, unfixed: string, e: Emitter): void {
  if (access === "read") e.when(`${address} >> 8 !== ${high}`, () => e.read(unfixed, "any"));
  else e.read(unfixed, "any");
}
