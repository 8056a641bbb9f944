/**
 * The 6507 CPU of the Atari 2600: a 6502 with 13 address lines and no interrupts wired.
 *
 * Every bus access is a real access, one machine cycle each, in the order the chip makes them (dummy
 * reads and writes included), so cycle counts come out exact: +1 when an indexed read crosses a page,
 * +1 for a taken branch and +1 more when it lands on another page. The TIA sees each write at the
 * cycle it happens. The jam opcodes halt the CPU.
 *
 * What each opcode does is written once, in the instruction table (./cpu_instructions.ts). The
 * interpreter `execute` runs is generated from it at build time (build/cpu_interpreter.ts, by
 * scripts/build-cpu.ts), and the recompiler (./recompiler.ts) writes its code from it at run time.
 * This class holds the registers and the bus shortcuts that code uses; `execute` keeps the registers
 * in locals while it runs.
 */
import { interpret, setFlags } from "./build/cpu_interpreter.js";
import type { Cartridge } from "./cartridge.js";
import { packStatus, RAM_SELECT_MASK, RAM_SELECTED } from "./cpu_instructions.js";
import type { Recompiler } from "./recompiler.js";

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

/** The RIOT's interval timer, as far as the CPU needs it to skip loops that wait on it. */
export interface IntervalTimer {
  /** The first bus cycle at which an INTIM read no longer returns a count above zero. */
  positiveUntil(): number;
}

/** Address lines that select INTIM: A12 low, A9, A7 and A2 high, A0 low. */
const INTIM_SELECT_MASK = 0x1285;
const INTIM_SELECTED = 0x0284;
/** Cycles of one pass of `LDA INTIM; BNE` back to it: 4 for the load, 3 for the taken branch. */
const TIMER_LOOP_CYCLES = 7;

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
    readonly recompiler: Recompiler | null = null,
  ) {}

  /** Power-on / RESET: registers as Stella sets them, PC from the vector (no cycles counted). */
  reset(resetVector: number): void {
    this.a = this.x = this.y = 0;
    this.sp = 0xff;
    this.setStatus(0x20); // the unused bit (B reads 1 anyway)
    this.pc = resetVector;
    this.stopRequested = false;
    this.halted = false;
  }

  status(): number {
    return packStatus(this.n, this.v, this.d, this.i, this.notZ, this.c);
  }

  setStatus(status: number): void {
    setFlags(this, status);
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

  /**
   * Runs up to `maxInstructions` instructions, or until the TIA asks to stop (end of frame), in the
   * interpreter generated from the instruction table.
   */
  execute(maxInstructions: number): void {
    interpret(this, maxInstructions);
  }

  /** A read: RAM and ROM (outside the hotspots) straight from their arrays, the rest via the bus. */
  read(address: number): number {
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
  write(address: number, value: number): void {
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
   * Called before `LDA`, `LDX` or `LDY abs` at `pc` in ROM, with `count` instructions left; returns
   * the instructions it skipped. In `LDx INTIM; BNE` back to it, with the branch in the same page, the
   * passes whose read still finds the count above zero change nothing but the cycle count (the timer
   * reads have no side effects then), so they are skipped, exactly, within the instruction limit.
   * The interpreter then runs the pass that reads zero or below.
   */
  skipTimerWait(pc: number, count: number): number {
    const { bus, cartridge } = this;
    const { rom, addressMask, bankOffset } = cartridge;
    const operand =
      rom[bankOffset + ((pc + 1) & addressMask)] | (rom[bankOffset + ((pc + 2) & addressMask)] << 8);
    if (
      (operand & INTIM_SELECT_MASK) !== INTIM_SELECTED ||
      (pc & 0xfff) >= cartridge.firstHotspot - 5 ||
      ((pc + 5) & 0xff00) !== (pc & 0xff00) ||
      // BNE back over the load (3 bytes) and itself (2).
      rom[bankOffset + ((pc + 3) & addressMask)] !== 0xd0 ||
      rom[bankOffset + ((pc + 4) & addressMask)] !== 0xfb
    ) {
      return 0;
    }
    const firstRead = bus.cycles + 4;
    const until = this.timer.positiveUntil();
    if (firstRead >= until) return 0;
    const passes = Math.min(Math.ceil((until - firstRead) / TIMER_LOOP_CYCLES), (count - 1) >> 1);
    bus.cycles += passes * TIMER_LOOP_CYCLES;
    return passes * 2;
  }
}
