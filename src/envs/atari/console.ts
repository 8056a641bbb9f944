/**
 * The Atari 2600 console: the 6507 CPU, the TIA, the RIOT and the cartridge on one 13-bit bus.
 *
 * Address decoding (the chips look at only a few address lines, so each answers at many mirrors):
 * - A12 high ($1000-$1FFF): the cartridge.
 * - A12 low, A7 low: the TIA (writes decode 6 address bits, reads 4).
 * - A12 low, A7 high, A9 low: the RIOT's 128 bytes of RAM.
 * - A12 low, A7 high, A9 high: the RIOT's ports and timer.
 *
 * Every access costs one CPU cycle on `cycles`, which restarts at zero at each frame start (the TIA
 * asks for that) exactly as Stella does, so that time comparisons done in 32-bit arithmetic come out
 * the same. The console also wires the controllers and switches to the chips' input pins.
 */
import type { Cartridge } from "./cartridge.js";
import { Cpu6507 } from "./cpu.js";
import type { MT19937 } from "./mt19937.js";
import { Recompiler } from "./recompiler.js";
import { Riot, SWCHB_IDLE } from "./riot.js";
import { MAXIMUM_RESISTANCE, MINIMUM_RESISTANCE, Tia } from "./tia.js";

export type ControllerKind = "joystick" | "paddles";

/** How a game's controllers are plugged in (Stella's properties for the ROM). */
export interface ConsoleProperties {
  leftController: ControllerKind;
  rightController: ControllerKind;
  /** Swaps the two paddles of each jack (Pong). */
  swapPaddles: boolean;
  /** First scanline of the 210 that make the screen. */
  yStart: number;
  height: number;
  /** Whether an early HMOVE blanks the first 8 pixels of the line. */
  hmoveBlanks: boolean;
}

export const DEFAULT_PROPERTIES: ConsoleProperties = {
  leftController: "joystick",
  rightController: "joystick",
  swapPaddles: false,
  yStart: 34,
  height: 210,
  hmoveBlanks: true,
};

/** Joystick bits in `ConsoleInput.joystick` (set = pressed). */
export const JOY_UP = 0x01;
export const JOY_DOWN = 0x02;
export const JOY_LEFT = 0x04;
export const JOY_RIGHT = 0x08;
export const JOY_FIRE = 0x10;

/** What the players and the console switches do during a frame (ALE's "events"). */
export class ConsoleInput {
  /** Joystick 0 and 1: JOY_* bits. */
  readonly joystick = [0, 0];
  /** Paddle 0 and 1 resistance (0 = fully charged at once, as an unplugged event reads). */
  readonly paddleResistance = [0, 0];
  readonly paddleFire = [false, false];
  reset = false;
  select = false;
  leftDifficultyA = false;
  rightDifficultyA = false;
}

export class AtariConsole {
  /** CPU cycles since the current frame began. */
  cycles = 0;
  dataBus = 0;
  lastAccessWasRead = true;
  readonly cpu: Cpu6507;
  readonly tia: Tia;
  readonly riot: Riot;
  readonly input = new ConsoleInput();
  private readonly ram: Uint8Array;

  constructor(
    readonly cartridge: Cartridge,
    readonly properties: ConsoleProperties,
    rng: MT19937,
    recompile = true,
  ) {
    this.riot = new Riot(this, rng);
    this.ram = this.riot.ram;
    const recompiler = recompile ? new Recompiler(cartridge) : null;
    this.cpu = new Cpu6507(this, cartridge, this.ram, this.riot, recompiler);
    this.tia = new Tia(this, {
      yStart: properties.yStart,
      height: properties.height,
      hmoveBlanks: properties.hmoveBlanks,
    });
    this.tia.attachCpu(this.cpu);
    this.riot.powerOn();
    this.applyInput();
  }

  /** The console's RESET line (not the RESET switch): chips reset, RAM kept. */
  systemReset(): void {
    this.rebaseCycles();
    this.riot.reset();
    this.tia.reset();
    this.cartridge.reset();
    const vector = this.cartridge.read(0xfffc) | (this.cartridge.read(0xfffd) << 8);
    this.dataBus = vector >> 8;
    this.cpu.reset(vector);
    this.lastAccessWasRead = true;
  }

  /** Emulates one frame with the current input. */
  runFrame(): void {
    this.tia.runFrame();
  }

  rebaseCycles(): void {
    this.tia.rebaseCycles(this.cycles);
    this.riot.rebaseCycles(this.cycles);
    this.cycles = 0;
  }

  peek(address: number): number {
    this.cycles++;
    let value: number;
    if (address & 0x1000) value = this.cartridge.peek(address & 0xfff);
    else if (address & 0x80) value = address & 0x200 ? this.riot.peek(address) : this.ram[address & 0x7f];
    else value = this.tia.peek(address);
    this.dataBus = value;
    this.lastAccessWasRead = true;
    return value;
  }

  poke(address: number, value: number): void {
    this.cycles++;
    if (address & 0x1000) this.cartridge.poke(address & 0xfff);
    else if (address & 0x80) {
      if (address & 0x200) this.riot.poke(address, value);
      else this.ram[address & 0x7f] = value;
    } else this.tia.poke(address, value);
    this.dataBus = value;
    this.lastAccessWasRead = false;
  }

  /**
   * Puts `input` on the pins: SWCHA (joystick directions; a paddle's button is wired as a direction
   * bit), SWCHB (switches), INPT0-3 (paddle pots) and INPT4-5 (joystick buttons). A jack's two paddles
   * are paddle 0 and 1 on the left jack and 2 and 3 on the right one; ALE only moves 0 and 1, so the
   * right jack's paddles read as resistance 0.
   */
  applyInput(): void {
    const { input, properties, tia } = this;
    const swap = properties.swapPaddles;
    let portA = 0xff;
    if (properties.leftController === "joystick") {
      portA &= ~(input.joystick[0] << 4) | 0x0f;
      tia.paddleResistance[0] = MAXIMUM_RESISTANCE;
      tia.paddleResistance[1] = MAXIMUM_RESISTANCE;
      tia.firePressed[0] = (input.joystick[0] & JOY_FIRE) !== 0;
    } else {
      const first = swap ? 1 : 0;
      const second = 1 - first;
      if (input.paddleFire[first]) portA &= ~0x80;
      if (input.paddleFire[second]) portA &= ~0x40;
      tia.paddleResistance[0] = input.paddleResistance[first];
      tia.paddleResistance[1] = input.paddleResistance[second];
      tia.firePressed[0] = false;
    }
    if (properties.rightController === "joystick") {
      portA &= ~input.joystick[1] | 0xf0;
      tia.paddleResistance[2] = MAXIMUM_RESISTANCE;
      tia.paddleResistance[3] = MAXIMUM_RESISTANCE;
      tia.firePressed[1] = (input.joystick[1] & JOY_FIRE) !== 0;
    } else {
      tia.paddleResistance[2] = MINIMUM_RESISTANCE;
      tia.paddleResistance[3] = MINIMUM_RESISTANCE;
      tia.firePressed[1] = false;
    }
    this.riot.portA = portA & 0xff;
    let portB = SWCHB_IDLE;
    if (input.reset) portB &= ~0x01;
    if (input.select) portB &= ~0x02;
    if (input.leftDifficultyA) portB |= 0x40;
    if (input.rightDifficultyA) portB |= 0x80;
    this.riot.portB = portB;
  }

  saveState(): number[][] {
    return [
      [this.cycles, this.dataBus, this.lastAccessWasRead ? 1 : 0],
      this.cpu.saveState(),
      this.riot.saveState(),
      this.tia.saveState(),
      this.cartridge.saveState(),
    ];
  }

  loadState(state: readonly (readonly number[])[]): void {
    [this.cycles, this.dataBus] = state[0];
    this.lastAccessWasRead = state[0][2] === 1;
    this.cpu.loadState(state[1]);
    this.riot.loadState(state[2]);
    this.tia.loadState(state[3]);
    this.cartridge.loadState(state[4]);
  }
}
