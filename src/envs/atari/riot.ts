/**
 * The 6532 RIOT: 128 bytes of RAM, an interval timer, and two 8-bit ports.
 *
 * - RAM answers at $80-$FF (and its mirrors: A12 low, A9 low, A7 high).
 * - Port A (SWCHA) reads the joystick directions / paddle buttons of both controller jacks.
 * - Port B (SWCHB) reads the console switches: bit 0 RESET, bit 1 SELECT, bit 3 colour, bit 6/7 the
 *   left/right difficulty (1 = A); the unused bits 2, 4 and 5 read 1.
 * - The timer counts down by 1 every 1, 8, 64 or 1024 cycles (TIM1T/TIM8T/TIM64T/T1024T). Once it
 *   passes zero it counts down every cycle, and the first read after that (INTIM) restarts the count
 *   from there; TIMINT bit 7 reports the underflow until then.
 * Timing follows Stella 2.x, which ALE embeds: the clock is the bus's cycle counter, rebased to zero
 * at every frame start (see `rebaseCycles`).
 */
import type { MT19937 } from "./mt19937.js";

/** The bus cycle counter the timer is read against. */
export interface CycleCounter {
  cycles: number;
}

/** TIM1T, TIM8T, TIM64T, T1024T: the timer counts down once every 1, 8, 64, 1024 cycles. */
const TIMER_INTERVAL_SHIFTS = [0, 3, 6, 10];

/** Bytes of RAM. */
export const RAM_SIZE = 128;

/** SWCHB with no switch pressed, difficulties B, colour TV (0x3F: unused bits 2, 4, 5 read 1). */
export const SWCHB_IDLE = 0x3f;

export class Riot {
  readonly ram = new Uint8Array(RAM_SIZE);
  /** What SWCHA reads: set by the console from the controllers before each frame. */
  portA = 0xff;
  /** What SWCHB reads: set by the console from the switches before each frame. */
  portB = SWCHB_IDLE;

  private timer = 0;
  private intervalShift = 6;
  private cyclesWhenTimerSet = 0;
  private cyclesWhenInterruptReset = 0;
  private timerReadAfterInterrupt = false;
  private ddra = 0;
  private ddrb = 0;

  constructor(
    private readonly clock: CycleCounter,
    private readonly rng: MT19937,
  ) {}

  /** Power-on: RAM filled with random bytes (the 6532 has no reset line to its RAM). */
  powerOn(): void {
    for (let i = 0; i < RAM_SIZE; i++) this.ram[i] = this.rng.next() & 0xff;
    this.reset();
  }

  /** System reset: the timer starts at a random value, as Stella does; RAM is left alone. */
  reset(): void {
    this.timer = 25 + (this.rng.next() % 75);
    this.intervalShift = 6;
    this.cyclesWhenTimerSet = 0;
    this.cyclesWhenInterruptReset = 0;
    this.timerReadAfterInterrupt = false;
    this.ddra = 0;
    this.ddrb = 0;
  }

  /** The bus cycle counter is about to restart at zero: keep remembered times relative to it. */
  rebaseCycles(cycles: number): void {
    this.cyclesWhenTimerSet -= cycles;
    this.cyclesWhenInterruptReset -= cycles;
  }

  /** A read of the RIOT's I/O and timer registers (A9 high). */
  peek(address: number): number {
    switch (address & 0x07) {
      case 0x00:
        return this.portA;
      case 0x01:
        return this.ddra;
      case 0x02:
        return this.portB;
      case 0x03:
        return this.ddrb;
      case 0x04:
      case 0x06:
        return this.readTimer();
      default: {
        // TIMINT: bit 7 set once the timer has passed zero and INTIM was not read since.
        const delta = (this.clock.cycles - 1 - this.cyclesWhenTimerSet) >>> 0;
        const timer = this.timer - (delta >>> this.intervalShift) - 1;
        return timer >= 0 || this.timerReadAfterInterrupt ? 0x00 : 0x80;
      }
    }
  }

  /**
   * The first bus cycle at which an INTIM read no longer returns a count above zero. Reads before it
   * return the count and change nothing, which lets the CPU skip loops that poll INTIM.
   */
  positiveUntil(): number {
    return this.cyclesWhenTimerSet + 1 + (this.timer - 1) * 2 ** this.intervalShift;
  }

  private readTimer(): number {
    const cycles = this.clock.cycles;
    const delta = (cycles - 1 - this.cyclesWhenTimerSet) >>> 0;
    let timer = this.timer - (delta >>> this.intervalShift) - 1;
    if (timer >= 0) return timer & 0xff;
    // Past zero: one count per cycle from the moment the timer wrapped.
    timer = this.timer * 2 ** this.intervalShift - delta - 1;
    if (timer <= -2 && !this.timerReadAfterInterrupt) {
      this.timerReadAfterInterrupt = true;
      this.cyclesWhenInterruptReset = cycles;
    }
    if (this.timerReadAfterInterrupt) {
      const offset =
        this.cyclesWhenInterruptReset - (this.cyclesWhenTimerSet + this.timer * 2 ** this.intervalShift);
      timer = this.timer - (delta >>> this.intervalShift) - offset;
    }
    return timer & 0xff;
  }

  /** A write to the RIOT's I/O and timer registers. */
  poke(address: number, value: number): void {
    if ((address & 0x07) === 0x01) {
      this.ddra = value;
    } else if ((address & 0x14) === 0x14) {
      // TIM1T, TIM8T, TIM64T, T1024T
      this.timer = value;
      this.intervalShift = TIMER_INTERVAL_SHIFTS[address & 0x03];
      this.cyclesWhenTimerSet = this.clock.cycles;
      this.timerReadAfterInterrupt = false;
    }
    // SWCHA output, SWCHB and its DDR, and the edge-detect control change nothing ALE can see.
  }

  saveState(): number[] {
    return [
      ...this.ram,
      this.timer,
      this.intervalShift,
      this.cyclesWhenTimerSet,
      this.cyclesWhenInterruptReset,
      this.timerReadAfterInterrupt ? 1 : 0,
      this.ddra,
      this.ddrb,
    ];
  }

  loadState(s: readonly number[]): void {
    this.ram.set(s.slice(0, RAM_SIZE));
    const registers = s.slice(RAM_SIZE);
    [this.timer, this.intervalShift, this.cyclesWhenTimerSet, this.cyclesWhenInterruptReset] = registers;
    this.timerReadAfterInterrupt = registers[4] === 1;
    this.ddra = registers[5];
    this.ddrb = registers[6];
  }
}
