/**
 * The 6507 CPU of the Atari 2600: a 6502 with 13 address lines and no interrupts wired.
 *
 * Every bus access is a real access, one machine cycle each, in the order the chip makes them (dummy
 * reads and writes included), so cycle counts come out exact: +1 when an indexed read crosses a page,
 * +1 for a taken branch and +1 more when it lands on another page. The TIA sees each write at the
 * cycle it happens. Undocumented opcodes behave as in Stella 2.x, which ALE 0.12.1 embeds; decimal
 * mode follows its table-based BCD arithmetic too. The jam opcodes halt the CPU.
 *
 * Decoding works as the chip's: each opcode names an addressing mode (which bytes follow it and how
 * the effective address is formed), whether the operation reads, writes or reads-modifies-writes its
 * operand, and the operation itself. `execute` keeps the registers in locals while it runs.
 */

/**
 * What the CPU needs from the bus: one cycle per access. Besides `peek`/`poke`, which decode the
 * address, the CPU reads cartridge ROM and reads and writes RIOT RAM directly (most accesses are
 * instruction fetches and zero-page variables), keeping the bus's cycle count and data-bus latch as
 * `peek`/`poke` would.
 */
export interface CpuBus {
  cycles: number;
  dataBus: number;
  lastAccessWasRead: boolean;
  peek(address: number): number;
  poke(address: number, value: number): void;
}

import type { Cartridge } from "./cartridge.js";
import type { CompiledRegion, Recompiler } from "./recompiler.js";

/** The RIOT's interval timer, as far as the CPU needs it to skip loops that wait on it. */
export interface IntervalTimer {
  /** The first bus cycle at which an INTIM read no longer returns a count above zero. */
  positiveUntil(): number;
}

const FLAG_N = 0x80;
const FLAG_UNUSED = 0x20;
const FLAG_B = 0x10;
const FLAG_Z = 0x02;
const FLAG_C = 0x01;

/** Address lines that select INTIM: A12 low, A9, A7 and A2 high, A0 low. */
const INTIM_SELECT_MASK = 0x1285;
const INTIM_SELECTED = 0x0284;
/** Cycles of one pass of `LDA INTIM; BNE` back to it: 4 for the load, 3 for the taken branch. */
const TIMER_LOOP_CYCLES = 7;

/** Address lines that select RIOT RAM: A12 low, A9 low, A7 high. */
const RAM_SELECT_MASK = 0x1280;
const RAM_SELECTED = 0x0080;

/** BCD digits -> binary (row 0) and binary -> BCD (row 1), laid out as one array like Stella's. */
const BCD = new Uint8Array(512);
for (let t = 0; t < 256; t++) {
  BCD[t] = (t >> 4) * 10 + (t & 0x0f);
  BCD[256 + t] = ((((t % 100) / 10) | 0) << 4) | (t % 10);
}

// ---- addressing modes (the bytes after the opcode, and how the effective address is formed) ----

/** No operand; the chip reads the next byte anyway (and does not use it). */
export const IMPLIED = 0;
/** The byte after the opcode is the operand (also a branch's offset, BRK's padding). */
export const IMMEDIATE = 1;
export const ZERO_PAGE = 2;
export const ZERO_PAGE_X = 3;
export const ZERO_PAGE_Y = 4;
export const ABSOLUTE = 5;
export const ABSOLUTE_X = 6;
export const ABSOLUTE_Y = 7;
const INDEXED_INDIRECT = 8; // (zp,X)
export const INDIRECT_INDEXED = 9; // (zp),Y
/** JSR: only the low byte comes first; the high byte is fetched after the pushes. */
const JSR_ADDRESS = 10;
/** The jam opcodes: the CPU locks up before reading anything more. */
const NO_OPERAND = 11;

/** Bytes after the opcode, by addressing mode (JSR: the one fetched before the pushes; jam: none). */
const OPERAND_BYTES = [0, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 3];

// ---- how the operation uses its operand ----

/** The effective address only (stores, jumps) or no memory operand at all. */
export const ADDRESS = 0;
/** Reads the operand: indexed modes take the extra cycle only when a page is crossed. */
export const READ = 1;
/** Reads the operand and writes it back unchanged before writing the result (the 6502's RMW). */
export const READ_MODIFY_WRITE = 2;

/**
 * Per opcode, packed into one byte for a single lookup: addressing mode (bits 0-3), access (bits 4-5)
 * and the operand bytes (bits 6-7; 3 = none read at all). The operation itself is `execute`'s switch
 * on the opcode.
 */
export const DECODE = new Uint8Array(256).fill(NO_OPERAND | (3 << 6));

function define(access: number, mode: number, ...opcodes: number[]): void {
  for (const opcode of opcodes) DECODE[opcode] = mode | (access << 4) | (OPERAND_BYTES[mode] << 6);
}

/** Opcodes of one operation in the arithmetic group's eight modes, immediate first. */
function defineArithmetic(...opcodes: number[]): void {
  const modes = [
    IMMEDIATE,
    ZERO_PAGE,
    ZERO_PAGE_X,
    ABSOLUTE,
    ABSOLUTE_X,
    ABSOLUTE_Y,
    INDEXED_INDIRECT,
    INDIRECT_INDEXED,
  ];
  for (let k = 0; k < opcodes.length; k++) define(READ, modes[k], opcodes[k]);
}
defineArithmetic(0x09, 0x05, 0x15, 0x0d, 0x1d, 0x19, 0x01, 0x11); // ORA
defineArithmetic(0x29, 0x25, 0x35, 0x2d, 0x3d, 0x39, 0x21, 0x31); // AND
defineArithmetic(0x49, 0x45, 0x55, 0x4d, 0x5d, 0x59, 0x41, 0x51); // EOR
defineArithmetic(0x69, 0x65, 0x75, 0x6d, 0x7d, 0x79, 0x61, 0x71); // ADC
defineArithmetic(0xa9, 0xa5, 0xb5, 0xad, 0xbd, 0xb9, 0xa1, 0xb1); // LDA
defineArithmetic(0xc9, 0xc5, 0xd5, 0xcd, 0xdd, 0xd9, 0xc1, 0xd1); // CMP
defineArithmetic(0xe9, 0xe5, 0xf5, 0xed, 0xfd, 0xf9, 0xe1, 0xf1); // SBC

// Reads in the other modes: LDX LDY LAX CPX CPY BIT, the undocumented immediates and NOPs, LAS.
define(READ, IMMEDIATE, 0xa2, 0xa0, 0xe0, 0xc0, 0xeb, 0x0b, 0x2b, 0x4b, 0x6b, 0x8b, 0xab, 0xcb);
define(READ, IMMEDIATE, 0x80, 0x82, 0x89, 0xc2, 0xe2);
define(READ, ZERO_PAGE, 0xa6, 0xa4, 0xa7, 0xe4, 0xc4, 0x24, 0x04, 0x44, 0x64);
define(READ, ZERO_PAGE_X, 0xb4, 0x14, 0x34, 0x54, 0x74, 0xd4, 0xf4);
define(READ, ZERO_PAGE_Y, 0xb6, 0xb7);
define(READ, ABSOLUTE, 0xae, 0xac, 0xaf, 0xec, 0xcc, 0x2c, 0x0c);
define(READ, ABSOLUTE_X, 0xbc, 0x1c, 0x3c, 0x5c, 0x7c, 0xdc, 0xfc);
define(READ, ABSOLUTE_Y, 0xbe, 0xbf, 0xbb);
define(READ, INDEXED_INDIRECT, 0xa3);
define(READ, INDIRECT_INDEXED, 0xb3);

// Stores (STA STX STY SAX, SHA SHS SHX SHY) and jumps only need the address.
define(ADDRESS, ZERO_PAGE, 0x85, 0x86, 0x84, 0x87);
define(ADDRESS, ZERO_PAGE_X, 0x95, 0x94);
define(ADDRESS, ZERO_PAGE_Y, 0x96, 0x97);
define(ADDRESS, ABSOLUTE, 0x8d, 0x8e, 0x8c, 0x8f, 0x4c, 0x6c);
define(ADDRESS, ABSOLUTE_X, 0x9d, 0x9c);
define(ADDRESS, ABSOLUTE_Y, 0x99, 0x9f, 0x9b, 0x9e);
define(ADDRESS, INDEXED_INDIRECT, 0x81, 0x83);
define(ADDRESS, INDIRECT_INDEXED, 0x91, 0x93);
define(ADDRESS, JSR_ADDRESS, 0x20);

// Read-modify-write: ASL ROL LSR ROR DEC INC, and the undocumented SLO RLA SRE RRA DCP ISB, which
// add abs,Y, (zp,X) and (zp),Y.
for (const zp of [0x06, 0x26, 0x46, 0x66, 0xc6, 0xe6, 0x07, 0x27, 0x47, 0x67, 0xc7, 0xe7]) {
  define(READ_MODIFY_WRITE, ZERO_PAGE, zp);
  define(READ_MODIFY_WRITE, ZERO_PAGE_X, zp + 0x10);
  define(READ_MODIFY_WRITE, ABSOLUTE, zp + 0x08);
  define(READ_MODIFY_WRITE, ABSOLUTE_X, zp + 0x18);
  if (zp & 1) {
    define(READ_MODIFY_WRITE, ABSOLUTE_Y, zp + 0x14);
    define(READ_MODIFY_WRITE, INDEXED_INDIRECT, zp - 0x04);
    define(READ_MODIFY_WRITE, INDIRECT_INDEXED, zp + 0x0c);
  }
}

// Implied: shifts of A, register steps and transfers, the stack, returns, flags, NOPs.
define(ADDRESS, IMPLIED, 0x0a, 0x4a, 0x2a, 0x6a, 0xe8, 0xc8, 0xca, 0x88, 0xaa, 0xa8, 0xba, 0x8a, 0x9a, 0x98);
define(ADDRESS, IMPLIED, 0x48, 0x08, 0x68, 0x28, 0x60, 0x40, 0x18, 0x38, 0x58, 0x78, 0xb8, 0xd8, 0xf8);
define(ADDRESS, IMPLIED, 0xea, 0x1a, 0x3a, 0x5a, 0x7a, 0xda, 0xfa);
// Branches (their offset) and BRK (a padding byte).
define(ADDRESS, IMMEDIATE, 0x10, 0x30, 0x50, 0x70, 0x90, 0xb0, 0xd0, 0xf0, 0x00);
// Everything else (0x02, 0x12, ...) jams: NO_OPERAND, nothing read.

// ---- arithmetic (pure functions: result in bits 0-7, carry in bit 8, overflow in bit 9) ----

const CARRY_OUT = 0x100;
const OVERFLOW_OUT = 0x200;

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
function andRotateRight(a: number, operand: number, carry: number, decimal: boolean): number {
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

export class Cpu6507 {
  a = 0;
  x = 0;
  y = 0;
  sp = 0xff;
  pc = 0;
  /** Flags kept apart for speed: N holds bit 7, notZ is zero exactly when Z is set, the rest 0/1. */
  n = 0;
  v = 0;
  d = 0;
  i = 0;
  notZ = 1;
  c = 0;
  /** Set by the TIA to end the frame after the current instruction. */
  stopRequested = false;
  /** A jam opcode was executed; the CPU does nothing until the next reset. */
  halted = false;

  constructor(
    readonly bus: CpuBus,
    readonly cartridge: Cartridge,
    readonly ram: Uint8Array,
    private readonly timer: IntervalTimer,
    /** Compiles hot ROM code to JavaScript (./recompiler.ts); null: interpret everything. */
    private readonly recompiler: Recompiler | null = null,
  ) {}

  /** Power-on / RESET: registers as Stella sets them, PC from the vector (no cycles counted). */
  reset(resetVector: number): void {
    this.a = this.x = this.y = 0;
    this.sp = 0xff;
    this.setStatus(FLAG_UNUSED);
    this.pc = resetVector;
    this.stopRequested = false;
    this.halted = false;
  }

  status(): number {
    return packStatus(this.n, this.v, this.d, this.i, this.notZ, this.c);
  }

  setStatus(ps: number): void {
    this.n = ps & FLAG_N;
    this.v = (ps >> 6) & 1;
    this.d = (ps >> 3) & 1;
    this.i = (ps >> 2) & 1;
    this.notZ = ps & FLAG_Z ? 0 : 1;
    this.c = ps & FLAG_C;
  }

  saveState(): number[] {
    return [this.a, this.x, this.y, this.sp, this.pc, this.status(), this.halted ? 1 : 0];
  }

  loadState(s: readonly number[]): void {
    [this.a, this.x, this.y, this.sp, this.pc] = s;
    this.setStatus(s[5]);
    this.halted = s[6] === 1;
    this.stopRequested = false;
  }

  /** A read: RAM and ROM (outside the hotspots) straight from their arrays, the rest via the bus. */
  private read(address: number): number {
    const bus = this.bus;
    let value: number;
    if ((address & RAM_SELECT_MASK) === RAM_SELECTED) value = this.ram[address & 0x7f];
    else if (address & 0x1000 && (address & 0xfff) < this.cartridge.firstHotspot) {
      const cartridge = this.cartridge;
      value = cartridge.rom[cartridge.bankOffset + (address & cartridge.addressMask)];
    } else return bus.peek(address);
    bus.cycles++;
    bus.dataBus = value;
    bus.lastAccessWasRead = true;
    return value;
  }

  /** A write: RAM straight into its array, the rest via the bus. */
  private write(address: number, value: number): void {
    if ((address & RAM_SELECT_MASK) === RAM_SELECTED) {
      const bus = this.bus;
      bus.cycles++;
      this.ram[address & 0x7f] = value;
      bus.dataBus = value;
      bus.lastAccessWasRead = false;
    } else {
      this.bus.poke(address, value);
    }
  }

  /**
   * Runs up to `maxInstructions` instructions, or until the TIA asks to stop (end of frame). The
   * switches use literal cases (modes by number, operations by opcode) so that they compile to jump
   * tables.
   */
  execute(maxInstructions: number): void {
    this.stopRequested = false;
    if (this.halted) return;
    const { bus, ram, cartridge, recompiler } = this;
    const { rom, addressMask: romMask, firstHotspot } = cartridge;
    let { a, x, y, sp, pc, n, v, d, i, notZ, c } = this;
    for (let count = maxInstructions; count > 0 && !this.stopRequested; count--) {
      // The instruction's bytes: straight from ROM when they lie before the hotspots (the usual case),
      // else one by one over the bus. An implied instruction reads the next byte and drops it.
      let opcode: number;
      let low = 0;
      let high = 0;
      let decoded: number;
      if ((pc & 0x1000) !== 0 && (pc & 0xfff) < firstHotspot - 2) {
        const bank = cartridge.bankOffset;
        if (recompiler !== null) {
          const key = bank + (pc & 0xfff);
          if (recompiler.labels[key] !== pc) recompiler.visit(key, pc);
          else if (count >= recompiler.sizes[key]) {
            const region = recompiler.regions[key] as CompiledRegion;
            this.storeRegisters(a, x, y, sp, pc, n, v, d, i, notZ, c);
            const left = region(this, count);
            recompiler.instructionsRun += count - left;
            // The loop's decrement follows.
            count = left + 1;
            ({ a, x, y, sp, pc, n, v, d, i, notZ, c } = this);
            continue;
          }
        }
        opcode = rom[bank + (pc & romMask)];
        // The instructions most frequent in display kernels complete here, their addressing written
        // out: the byte after the opcode (operand, or the dummy read of an implied instruction) is
        // always read, and zero-page operands are RIOT RAM (bit 7 set) or the TIA.
        low = rom[bank + ((pc + 1) & romMask)];
        bus.dataBus = low;
        bus.lastAccessWasRead = true;
        switch (opcode) {
          // ---- implied: 2 cycles ----
          case 0x8a: // TXA
            bus.cycles += 2;
            pc += 1;
            a = n = notZ = x;
            n &= 0x80;
            continue;
          case 0x98: // TYA
            bus.cycles += 2;
            pc += 1;
            a = n = notZ = y;
            n &= 0x80;
            continue;
          case 0xaa: // TAX
            bus.cycles += 2;
            pc += 1;
            x = n = notZ = a;
            n &= 0x80;
            continue;
          case 0xa8: // TAY
            bus.cycles += 2;
            pc += 1;
            y = n = notZ = a;
            n &= 0x80;
            continue;
          case 0x9a: // TXS
            bus.cycles += 2;
            pc += 1;
            sp = x;
            continue;
          case 0xe8: // INX
            bus.cycles += 2;
            pc += 1;
            x = n = notZ = (x + 1) & 0xff;
            n &= 0x80;
            continue;
          case 0xca: // DEX
            bus.cycles += 2;
            pc += 1;
            x = n = notZ = (x - 1) & 0xff;
            n &= 0x80;
            continue;
          case 0xc8: // INY
            bus.cycles += 2;
            pc += 1;
            y = n = notZ = (y + 1) & 0xff;
            n &= 0x80;
            continue;
          case 0x88: // DEY
            bus.cycles += 2;
            pc += 1;
            y = n = notZ = (y - 1) & 0xff;
            n &= 0x80;
            continue;
          case 0x38: // SEC
            bus.cycles += 2;
            pc += 1;
            c = 1;
            continue;
          case 0x18: // CLC
            bus.cycles += 2;
            pc += 1;
            c = 0;
            continue;
          case 0x4a: // LSR A
            bus.cycles += 2;
            pc += 1;
            c = a & 1;
            a = notZ = a >> 1;
            n = 0;
            continue;
          case 0x0a: // ASL A
            bus.cycles += 2;
            pc += 1;
            c = a >> 7;
            a = n = notZ = (a << 1) & 0xff;
            n &= 0x80;
            continue;
          case 0x08: // PHP (kernels point the stack at ENAMx/ENABL to set them from a flag)
            bus.cycles += 2;
            pc += 1;
            if (sp & 0x80) {
              const status = packStatus(n, v, d, i, notZ, c);
              ram[sp & 0x7f] = status;
              bus.cycles++;
              bus.dataBus = status;
              bus.lastAccessWasRead = false;
            } else {
              bus.poke(0x100 | sp, packStatus(n, v, d, i, notZ, c));
            }
            sp = (sp - 1) & 0xff;
            continue;

          // ---- immediate: 2 cycles ----
          case 0xa9: // LDA #
            bus.cycles += 2;
            pc += 2;
            a = n = notZ = low;
            n &= 0x80;
            continue;
          case 0xa2: // LDX #
            bus.cycles += 2;
            pc += 2;
            x = n = notZ = low;
            n &= 0x80;
            continue;
          case 0xa0: // LDY #
            bus.cycles += 2;
            pc += 2;
            y = n = notZ = low;
            n &= 0x80;
            continue;
          case 0x29: // AND #
            bus.cycles += 2;
            pc += 2;
            a &= low;
            n = a & 0x80;
            notZ = a;
            continue;
          case 0xc9: // CMP #
            bus.cycles += 2;
            pc += 2;
            notZ = (a - low) & 0x1ff;
            c = notZ >> 8 ? 0 : 1;
            n = notZ & 0x80;
            notZ &= 0xff;
            continue;
          case 0xe0: // CPX #
            bus.cycles += 2;
            pc += 2;
            notZ = (x - low) & 0x1ff;
            c = notZ >> 8 ? 0 : 1;
            n = notZ & 0x80;
            notZ &= 0xff;
            continue;

          // ---- zero-page stores: 3 cycles ----
          case 0x85: // STA zp
          case 0x86: // STX zp
          case 0x84: {
            // STY zp
            const value = opcode === 0x85 ? a : opcode === 0x86 ? x : y;
            pc += 2;
            if (low & 0x80) {
              bus.cycles += 3;
              ram[low & 0x7f] = value;
              bus.dataBus = value;
              bus.lastAccessWasRead = false;
            } else {
              bus.cycles += 2;
              bus.poke(low, value);
            }
            continue;
          }

          // ---- zero-page reads: 3 cycles ----
          case 0xa5: // LDA zp
          case 0xa6: // LDX zp
          case 0xa4: // LDY zp
          case 0x25: // AND zp
          case 0x05: // ORA zp
          case 0xe5: // SBC zp
          case 0xc5: {
            // CMP zp
            pc += 2;
            let operand: number;
            if (low & 0x80) {
              operand = ram[low & 0x7f];
              bus.cycles += 3;
              bus.dataBus = operand;
            } else {
              bus.cycles += 2;
              operand = bus.peek(low);
            }
            switch (opcode) {
              case 0xa5:
                a = n = notZ = operand;
                n &= 0x80;
                break;
              case 0xa6:
                x = n = notZ = operand;
                n &= 0x80;
                break;
              case 0xa4:
                y = n = notZ = operand;
                n &= 0x80;
                break;
              case 0x25:
                a &= operand;
                n = a & 0x80;
                notZ = a;
                break;
              case 0x05:
                a |= operand;
                n = a & 0x80;
                notZ = a;
                break;
              case 0xe5: {
                const result = subtractWithBorrow(a, operand, c, d !== 0);
                a = n = notZ = result & 0xff;
                n &= 0x80;
                c = (result >> 8) & 1;
                v = result >> 9;
                break;
              }
              default:
                notZ = (a - operand) & 0x1ff;
                c = notZ >> 8 ? 0 : 1;
                n = notZ & 0x80;
                notZ &= 0xff;
            }
            continue;
          }

          // ---- indexed loads into A ----
          case 0xb5: {
            // LDA zp,X: a dummy read of the base address, then the indexed one (wrapping in page 0)
            bus.cycles += 2;
            pc += 2;
            if (low & 0x80) {
              bus.cycles++;
              bus.dataBus = ram[low & 0x7f];
            } else {
              bus.peek(low);
            }
            const address = (low + x) & 0xff;
            if (address & 0x80) {
              a = n = notZ = ram[address & 0x7f];
              bus.cycles++;
              bus.dataBus = a;
            } else {
              a = n = notZ = bus.peek(address);
            }
            n &= 0x80;
            continue;
          }
          case 0xb9: {
            // LDA abs,Y: crossing a page costs a read at the unfixed address first
            high = rom[bank + ((pc + 2) & romMask)];
            bus.cycles += 3;
            bus.dataBus = high;
            pc += 3;
            const address = (((high << 8) | low) + y) & 0xffff;
            if (address >> 8 !== high) this.read((high << 8) | ((low + y) & 0xff));
            if ((address & RAM_SELECT_MASK) === RAM_SELECTED) {
              a = n = notZ = ram[address & 0x7f];
              bus.cycles++;
              bus.dataBus = a;
            } else {
              a = n = notZ = this.read(address);
            }
            n &= 0x80;
            continue;
          }
          case 0xb1: {
            // LDA (zp),Y: the pointer's two bytes from page 0 (usually RIOT RAM), then as abs,Y
            // (usually a ROM table)
            bus.cycles += 2;
            pc += 2;
            let pointerLow: number;
            let pointerHigh: number;
            if ((low & 0x80) !== 0 && low !== 0xff) {
              pointerLow = ram[low & 0x7f];
              pointerHigh = ram[(low + 1) & 0x7f];
              bus.cycles += 2;
              bus.dataBus = pointerHigh;
            } else {
              pointerLow = this.read(low);
              pointerHigh = this.read((low + 1) & 0xff);
            }
            const address = (((pointerHigh << 8) | pointerLow) + y) & 0xffff;
            if (address >> 8 !== pointerHigh) this.read((pointerHigh << 8) | ((pointerLow + y) & 0xff));
            if ((address & 0x1000) !== 0 && (address & 0xfff) < firstHotspot) {
              // (The bank as it is now: the page-crossing read may have touched a hotspot.)
              a = n = notZ = rom[cartridge.bankOffset + (address & romMask)];
              bus.cycles++;
              bus.dataBus = a;
            } else {
              a = n = notZ = this.read(address);
            }
            n &= 0x80;
            continue;
          }

          // ---- absolute loads: only the idle loop on the timer is special ----
          case 0xad: // LDA abs
          case 0xae: // LDX abs
          case 0xac: {
            // LDY abs
            // `LDx INTIM; BNE` back to it, with the branch in the same page: the passes whose read
            // still finds the count above zero change nothing but the cycle count (the timer reads
            // have no side effects then), so they are skipped, exactly, within the instruction limit.
            // The generic path then runs the pass that reads zero or below.
            const operandHigh = rom[bank + ((pc + 2) & romMask)];
            if (
              ((low | (operandHigh << 8)) & INTIM_SELECT_MASK) === INTIM_SELECTED &&
              (pc & 0xfff) < firstHotspot - 5 &&
              ((pc + 5) & 0xff00) === (pc & 0xff00) &&
              rom[bank + ((pc + 3) & romMask)] === 0xd0 &&
              rom[bank + ((pc + 4) & romMask)] === 0xfb
            ) {
              const firstRead = bus.cycles + 4;
              const until = this.timer.positiveUntil();
              if (firstRead < until) {
                const passes = Math.min(Math.ceil((until - firstRead) / TIMER_LOOP_CYCLES), (count - 1) >> 1);
                bus.cycles += passes * TIMER_LOOP_CYCLES;
                count -= passes * 2;
              }
            }
            break;
          }

          // ---- branches: the dummy read after a taken one is the next ROM byte ----
          case 0x10:
          case 0x30:
          case 0x90:
          case 0xb0:
          case 0xd0:
          case 0xf0: {
            bus.cycles += 2;
            pc += 2;
            const select = opcode >> 6;
            const flag = select === 0 ? n : select === 2 ? c : notZ === 0 ? 1 : 0;
            if ((flag !== 0) !== ((opcode & 0x20) !== 0)) continue;
            bus.cycles++;
            bus.dataBus = rom[bank + (pc & romMask)];
            const target = (pc + ((low << 24) >> 24)) & 0xffff;
            if ((target ^ pc) & 0xff00) this.read((pc & 0xff00) | (target & 0xff));
            pc = target;
            continue;
          }
        }
        decoded = DECODE[opcode];
        let lastByte: number;
        switch (decoded >> 6) {
          case 0:
            lastByte = rom[bank + ((pc + 1) & romMask)];
            bus.cycles += 2;
            pc += 1;
            break;
          case 1:
            lastByte = low = rom[bank + ((pc + 1) & romMask)];
            bus.cycles += 2;
            pc += 2;
            break;
          case 2:
            low = rom[bank + ((pc + 1) & romMask)];
            lastByte = high = rom[bank + ((pc + 2) & romMask)];
            bus.cycles += 3;
            pc += 3;
            break;
          default:
            lastByte = opcode;
            bus.cycles += 1;
            pc += 1;
        }
        bus.dataBus = lastByte;
        bus.lastAccessWasRead = true;
      } else {
        opcode = this.read(pc);
        pc = (pc + 1) & 0xffff;
        decoded = DECODE[opcode];
        switch (decoded >> 6) {
          case 0:
            this.read(pc);
            break;
          case 1:
            low = this.read(pc);
            pc = (pc + 1) & 0xffff;
            break;
          case 2:
            low = this.read(pc);
            high = this.read((pc + 1) & 0xffff);
            pc = (pc + 2) & 0xffff;
            break;
        }
      }
      const mode = decoded & 0x0f;
      const access = (decoded >> 4) & 3;

      // The effective address, with the dummy reads of indexing.
      let address = 0;
      switch (mode) {
        case 2: // ZERO_PAGE
          address = low;
          break;
        case 3: // ZERO_PAGE_X
          this.read(low);
          address = (low + x) & 0xff;
          break;
        case 4: // ZERO_PAGE_Y
          this.read(low);
          address = (low + y) & 0xff;
          break;
        case 5: // ABSOLUTE
          address = low | (high << 8);
          break;
        case 9: // INDIRECT_INDEXED: the pointer's two bytes, then as ABSOLUTE_Y
          high = low;
          low = this.read(high);
          high = this.read((high + 1) & 0xff);
          address = (((high << 8) | low) + y) & 0xffff;
          // The chip first reads with the low byte unfixed; a read that did not cross a page is done.
          if (access !== READ || address >> 8 !== high) this.read((high << 8) | ((low + y) & 0xff));
          break;
        case 6: // ABSOLUTE_X
        case 7: {
          // ABSOLUTE_Y
          const index = mode === ABSOLUTE_X ? x : y;
          address = (((high << 8) | low) + index) & 0xffff;
          if (access !== READ || address >> 8 !== high) this.read((high << 8) | ((low + index) & 0xff));
          break;
        }
        case 8: {
          // INDEXED_INDIRECT
          this.read(low);
          const pointer = (low + x) & 0xff;
          address = this.read(pointer);
          address |= this.read((pointer + 1) & 0xff) << 8;
          break;
        }
      }
      let operand = low;
      if (access !== ADDRESS && mode !== IMMEDIATE) {
        // Zero-page variables and ROM tables straight from their arrays.
        if ((address & RAM_SELECT_MASK) === RAM_SELECTED) operand = ram[address & 0x7f];
        else if ((address & 0x1000) !== 0 && (address & 0xfff) < firstHotspot)
          operand = rom[cartridge.bankOffset + (address & romMask)];
        else operand = -1;
        if (operand >= 0) {
          bus.cycles++;
          bus.dataBus = operand;
          bus.lastAccessWasRead = true;
        } else {
          operand = bus.peek(address);
        }
        if (access === READ_MODIFY_WRITE) this.write(address, operand);
      }

      switch (opcode) {
        // ---- loads and stores ----
        case 0xa9:
        case 0xa5:
        case 0xb5:
        case 0xad:
        case 0xbd:
        case 0xb9:
        case 0xa1:
        case 0xb1: // LDA
          a = n = notZ = operand;
          n &= 0x80;
          break;
        case 0xa2:
        case 0xa6:
        case 0xb6:
        case 0xae:
        case 0xbe: // LDX
          x = n = notZ = operand;
          n &= 0x80;
          break;
        case 0xa0:
        case 0xa4:
        case 0xb4:
        case 0xac:
        case 0xbc: // LDY
          y = n = notZ = operand;
          n &= 0x80;
          break;
        case 0xa7:
        case 0xb7:
        case 0xaf:
        case 0xbf:
        case 0xa3:
        case 0xb3: // LAX
          a = x = n = notZ = operand;
          n &= 0x80;
          break;
        case 0x85:
        case 0x95:
        case 0x8d:
        case 0x9d:
        case 0x99:
        case 0x81:
        case 0x91: // STA
          this.write(address, a);
          break;
        case 0x86:
        case 0x96:
        case 0x8e: // STX
          this.write(address, x);
          break;
        case 0x84:
        case 0x94:
        case 0x8c: // STY
          this.write(address, y);
          break;
        case 0x87:
        case 0x97:
        case 0x8f:
        case 0x83: // SAX
          this.write(address, a & x);
          break;

        // ---- logic, arithmetic, comparisons ----
        case 0x09:
        case 0x05:
        case 0x15:
        case 0x0d:
        case 0x1d:
        case 0x19:
        case 0x01:
        case 0x11: // ORA
          a |= operand;
          n = a & 0x80;
          notZ = a;
          break;
        case 0x29:
        case 0x25:
        case 0x35:
        case 0x2d:
        case 0x3d:
        case 0x39:
        case 0x21:
        case 0x31: // AND
          a &= operand;
          n = a & 0x80;
          notZ = a;
          break;
        case 0x49:
        case 0x45:
        case 0x55:
        case 0x4d:
        case 0x5d:
        case 0x59:
        case 0x41:
        case 0x51: // EOR
          a ^= operand;
          n = a & 0x80;
          notZ = a;
          break;
        case 0x69:
        case 0x65:
        case 0x75:
        case 0x6d:
        case 0x7d:
        case 0x79:
        case 0x61:
        case 0x71: {
          // ADC
          const result = addWithCarry(a, operand, c, d !== 0);
          a = n = notZ = result & 0xff;
          n &= 0x80;
          c = (result >> 8) & 1;
          v = result >> 9;
          break;
        }
        case 0xe9:
        case 0xeb:
        case 0xe5:
        case 0xf5:
        case 0xed:
        case 0xfd:
        case 0xf9:
        case 0xe1:
        case 0xf1: {
          // SBC
          const result = subtractWithBorrow(a, operand, c, d !== 0);
          a = n = notZ = result & 0xff;
          n &= 0x80;
          c = (result >> 8) & 1;
          v = result >> 9;
          break;
        }
        case 0xc9:
        case 0xc5:
        case 0xd5:
        case 0xcd:
        case 0xdd:
        case 0xd9:
        case 0xc1:
        case 0xd1: // CMP
          notZ = (a - operand) & 0x1ff;
          c = notZ >> 8 ? 0 : 1;
          n = notZ & 0x80;
          notZ &= 0xff;
          break;
        case 0xe0:
        case 0xe4:
        case 0xec: // CPX
          notZ = (x - operand) & 0x1ff;
          c = notZ >> 8 ? 0 : 1;
          n = notZ & 0x80;
          notZ &= 0xff;
          break;
        case 0xc0:
        case 0xc4:
        case 0xcc: // CPY
          notZ = (y - operand) & 0x1ff;
          c = notZ >> 8 ? 0 : 1;
          n = notZ & 0x80;
          notZ &= 0xff;
          break;
        case 0x24:
        case 0x2c: // BIT
          notZ = a & operand;
          n = operand & 0x80;
          v = (operand >> 6) & 1;
          break;

        // ---- shifts and steps (in memory: the result follows the dummy write) ----
        case 0x0a: // ASL A
          c = a >> 7;
          a = n = notZ = (a << 1) & 0xff;
          n &= 0x80;
          break;
        case 0x4a: // LSR A
          c = a & 1;
          a = notZ = a >> 1;
          n = 0;
          break;
        case 0x2a: {
          // ROL A
          const rotated = ((a << 1) | c) & 0xff;
          c = a >> 7;
          a = n = notZ = rotated;
          n &= 0x80;
          break;
        }
        case 0x6a: {
          // ROR A
          const rotated = (a >> 1) | (c << 7);
          c = a & 1;
          a = n = notZ = rotated;
          n &= 0x80;
          break;
        }
        case 0x06:
        case 0x16:
        case 0x0e:
        case 0x1e: // ASL
          c = operand >> 7;
          this.write(address, (n = notZ = (operand << 1) & 0xff));
          n &= 0x80;
          break;
        case 0x46:
        case 0x56:
        case 0x4e:
        case 0x5e: // LSR
          c = operand & 1;
          this.write(address, (notZ = operand >> 1));
          n = 0;
          break;
        case 0x26:
        case 0x36:
        case 0x2e:
        case 0x3e: // ROL
          this.write(address, (n = notZ = ((operand << 1) | c) & 0xff));
          c = operand >> 7;
          n &= 0x80;
          break;
        case 0x66:
        case 0x76:
        case 0x6e:
        case 0x7e: // ROR
          this.write(address, (n = notZ = (operand >> 1) | (c << 7)));
          c = operand & 1;
          n &= 0x80;
          break;
        case 0xe6:
        case 0xf6:
        case 0xee:
        case 0xfe: // INC
          this.write(address, (n = notZ = (operand + 1) & 0xff));
          n &= 0x80;
          break;
        case 0xc6:
        case 0xd6:
        case 0xce:
        case 0xde: // DEC
          this.write(address, (n = notZ = (operand - 1) & 0xff));
          n &= 0x80;
          break;
        case 0xe8: // INX
          x = n = notZ = (x + 1) & 0xff;
          n &= 0x80;
          break;
        case 0xc8: // INY
          y = n = notZ = (y + 1) & 0xff;
          n &= 0x80;
          break;
        case 0xca: // DEX
          x = n = notZ = (x - 1) & 0xff;
          n &= 0x80;
          break;
        case 0x88: // DEY
          y = n = notZ = (y - 1) & 0xff;
          n &= 0x80;
          break;

        // ---- undocumented read-modify-write: a shift or step, then an accumulator operation ----
        case 0x07:
        case 0x17:
        case 0x0f:
        case 0x1f:
        case 0x1b:
        case 0x03:
        case 0x13: {
          // SLO
          const result = (operand << 1) & 0xff;
          c = operand >> 7;
          this.write(address, result);
          a = n = notZ = a | result;
          n &= 0x80;
          break;
        }
        case 0x27:
        case 0x37:
        case 0x2f:
        case 0x3f:
        case 0x3b:
        case 0x23:
        case 0x33: {
          // RLA
          const result = ((operand << 1) | c) & 0xff;
          this.write(address, result);
          c = operand >> 7;
          a = n = notZ = a & result;
          n &= 0x80;
          break;
        }
        case 0x47:
        case 0x57:
        case 0x4f:
        case 0x5f:
        case 0x5b:
        case 0x43:
        case 0x53: {
          // SRE
          const result = operand >> 1;
          c = operand & 1;
          this.write(address, result);
          a = n = notZ = a ^ result;
          n &= 0x80;
          break;
        }
        case 0x67:
        case 0x77:
        case 0x6f:
        case 0x7f:
        case 0x7b:
        case 0x63:
        case 0x73: {
          // RRA
          const rotated = (operand >> 1) | (c << 7);
          c = operand & 1;
          this.write(address, rotated);
          const result = addWithCarry(a, rotated, c, d !== 0);
          a = n = notZ = result & 0xff;
          n &= 0x80;
          c = (result >> 8) & 1;
          v = result >> 9;
          break;
        }
        case 0xe7:
        case 0xf7:
        case 0xef:
        case 0xff:
        case 0xfb:
        case 0xe3:
        case 0xf3: {
          // ISB
          const incremented = (operand + 1) & 0xff;
          this.write(address, incremented);
          const result = subtractWithBorrow(a, incremented, c, d !== 0);
          a = n = notZ = result & 0xff;
          n &= 0x80;
          c = (result >> 8) & 1;
          v = result >> 9;
          break;
        }
        case 0xc7:
        case 0xd7:
        case 0xcf:
        case 0xdf:
        case 0xdb:
        case 0xc3:
        case 0xd3: {
          // DCP
          const result = (operand - 1) & 0xff;
          this.write(address, result);
          notZ = (a - result) & 0x1ff;
          c = notZ >> 8 ? 0 : 1;
          n = notZ & 0x80;
          notZ &= 0xff;
          break;
        }

        // ---- transfers and the stack ----
        case 0xaa: // TAX
          x = n = notZ = a;
          n &= 0x80;
          break;
        case 0xa8: // TAY
          y = n = notZ = a;
          n &= 0x80;
          break;
        case 0xba: // TSX
          x = n = notZ = sp;
          n &= 0x80;
          break;
        case 0x8a: // TXA
          a = n = notZ = x;
          n &= 0x80;
          break;
        case 0x98: // TYA
          a = n = notZ = y;
          n &= 0x80;
          break;
        case 0x9a: // TXS
          sp = x;
          break;
        case 0x48: // PHA
          this.write(0x100 | sp, a);
          sp = (sp - 1) & 0xff;
          break;
        case 0x08: // PHP
          this.write(0x100 | sp, packStatus(n, v, d, i, notZ, c));
          sp = (sp - 1) & 0xff;
          break;
        case 0x68: // PLA
          this.read(0x100 | sp);
          sp = (sp + 1) & 0xff;
          a = n = notZ = this.read(0x100 | sp);
          n &= 0x80;
          break;
        case 0x28: {
          // PLP
          this.read(0x100 | sp);
          sp = (sp + 1) & 0xff;
          const status = this.read(0x100 | sp);
          n = status & FLAG_N;
          v = (status >> 6) & 1;
          d = (status >> 3) & 1;
          i = (status >> 2) & 1;
          notZ = status & FLAG_Z ? 0 : 1;
          c = status & FLAG_C;
          break;
        }

        // ---- flags ----
        case 0x18: // CLC
          c = 0;
          break;
        case 0x38: // SEC
          c = 1;
          break;
        case 0x58: // CLI
          i = 0;
          break;
        case 0x78: // SEI
          i = 1;
          break;
        case 0xb8: // CLV
          v = 0;
          break;
        case 0xd8: // CLD
          d = 0;
          break;
        case 0xf8: // SED
          d = 1;
          break;

        // ---- branches: +1 cycle when taken, +1 more into another page ----
        case 0x10:
        case 0x30:
        case 0x50:
        case 0x70:
        case 0x90:
        case 0xb0:
        case 0xd0:
        case 0xf0: {
          // BPL BMI BVC BVS BCC BCS BNE BEQ
          // Bits 7-6 of the opcode pick the flag (N, V, C, Z), bit 5 the value that takes the branch.
          const select = opcode >> 6;
          const flag = select === 0 ? n : select === 1 ? v : select === 2 ? c : notZ === 0 ? 1 : 0;
          if ((flag !== 0) !== ((opcode & 0x20) !== 0)) break;
          this.read(pc);
          const target = (pc + ((low << 24) >> 24)) & 0xffff;
          if ((target ^ pc) & 0xff00) this.read((pc & 0xff00) | (target & 0xff));
          pc = target;
          break;
        }

        // ---- jumps, subroutines, interrupts ----
        case 0x4c: // JMP
          pc = address;
          break;
        case 0x6c: // JMP (indirect): no carry into the high byte when fetching the vector ($xxFF bug)
          pc = this.read(address);
          pc |= this.read((address & 0xff00) | ((address + 1) & 0xff)) << 8;
          break;
        case 0x20: // JSR
          this.read(0x100 | sp);
          this.write(0x100 | sp, pc >> 8);
          sp = (sp - 1) & 0xff;
          this.write(0x100 | sp, pc & 0xff);
          sp = (sp - 1) & 0xff;
          pc = low | (this.read(pc) << 8);
          break;
        case 0x60: // RTS
          this.read(0x100 | sp);
          sp = (sp + 1) & 0xff;
          pc = this.read(0x100 | sp);
          sp = (sp + 1) & 0xff;
          pc |= this.read(0x100 | sp) << 8;
          this.read(pc);
          pc = (pc + 1) & 0xffff;
          break;
        case 0x40: {
          // RTI
          this.read(0x100 | sp);
          sp = (sp + 1) & 0xff;
          const status = this.read(0x100 | sp);
          n = status & FLAG_N;
          v = (status >> 6) & 1;
          d = (status >> 3) & 1;
          i = (status >> 2) & 1;
          notZ = status & FLAG_Z ? 0 : 1;
          c = status & FLAG_C;
          sp = (sp + 1) & 0xff;
          pc = this.read(0x100 | sp);
          sp = (sp + 1) & 0xff;
          pc |= this.read(0x100 | sp) << 8;
          break;
        }
        case 0x00: // BRK
          this.write(0x100 | sp, pc >> 8);
          sp = (sp - 1) & 0xff;
          this.write(0x100 | sp, pc & 0xff);
          sp = (sp - 1) & 0xff;
          this.write(0x100 | sp, packStatus(n, v, d, i, notZ, c));
          sp = (sp - 1) & 0xff;
          i = 1;
          pc = this.read(0xfffe);
          pc |= this.read(0xffff) << 8;
          break;

        // ---- the other undocumented opcodes ----
        case 0x0b:
        case 0x2b: // ANC
          a = n = notZ = a & operand;
          n &= 0x80;
          c = n >> 7;
          break;
        case 0x4b: // ASR (ALR): AND, then LSR A
          c = a & operand & 1;
          a = notZ = (a & operand) >> 1;
          n = 0;
          break;
        case 0x6b: {
          // ARR
          const result = andRotateRight(a, operand, c, d !== 0);
          a = result & 0xff;
          c = (result >> 8) & 1;
          v = (result >> 9) & 1;
          n = (result >> 3) & 0x80;
          notZ = result & 0x800 ? 0 : 1;
          break;
        }
        case 0x8b: // ANE
          a = n = notZ = (a | 0xee) & x & operand;
          n &= 0x80;
          break;
        case 0xab: // LXA
          a = x = n = notZ = (a | 0xee) & operand;
          n &= 0x80;
          break;
        case 0xbb: // LAS
          sp = a = x = n = notZ = sp & operand;
          n &= 0x80;
          break;
        case 0xcb: // SBX
          notZ = ((a & x) - operand) & 0x1ff;
          c = notZ >> 8 ? 0 : 1;
          x = notZ &= 0xff;
          n = x & 0x80;
          break;
        // SHA/SHS/SHX/SHY store a register ANDed with the target's high byte + 1.
        case 0x9f:
        case 0x93: // SHA
          this.write(address, a & x & (((address >> 8) + 1) & 0xff));
          break;
        case 0x9b: // SHS
          sp = a & x;
          this.write(address, a & x & (((address >> 8) + 1) & 0xff));
          break;
        case 0x9e: // SHX
          this.write(address, x & (((address >> 8) + 1) & 0xff));
          break;
        case 0x9c: // SHY
          this.write(address, y & (((address >> 8) + 1) & 0xff));
          break;

        default:
          if (mode === NO_OPERAND) {
            // 0x02, 0x12, ... (JAM): the CPU locks up.
            this.halted = true;
            count = 0;
          }
        // Otherwise a NOP: its reads are done.
      }
    }
    this.storeRegisters(a, x, y, sp, pc, n, v, d, i, notZ, c);
  }

  /** `execute` keeps the registers in locals; they go back here before anything else reads them. */
  private storeRegisters(
    a: number,
    x: number,
    y: number,
    sp: number,
    pc: number,
    n: number,
    v: number,
    d: number,
    i: number,
    notZ: number,
    c: number,
  ): void {
    this.a = a;
    this.x = x;
    this.y = y;
    this.sp = sp;
    this.pc = pc;
    this.n = n;
    this.v = v;
    this.d = d;
    this.i = i;
    this.notZ = notZ;
    this.c = c;
  }
}

export function packStatus(n: number, v: number, d: number, i: number, notZ: number, c: number): number {
  // The 6507's B flag always reads 1.
  return n | (v << 6) | FLAG_UNUSED | FLAG_B | (d << 3) | (i << 2) | (notZ === 0 ? FLAG_Z : 0) | c;
}
