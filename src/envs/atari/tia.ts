/**
 * The TIA (Television Interface Adaptor): video, collisions and the input ports. No audio.
 *
 * This follows the TIA model of Stella 2.x that ALE 0.12.1 embeds, because RL agents (and the trace
 * checks) see exactly what that model produces, quirks included:
 * - Objects are drawn from precomputed masks: for each alignment (position & 3), size/copies mode and
 *   pixel, which bit of GRPx (or whether the missile/ball) shows there. A mask "pointer" is an offset
 *   into these tables such that `table[offset + x]` answers for screen pixel x.
 * - Rendering is lazy: pixels are drawn up to the current colour clock only when a register that
 *   matters is written (plus a small per-register delay) or a collision register is read; within a
 *   segment nothing changes, so each segment is one tight loop. Only the `height` lines from `yStart`
 *   are drawn, and collisions are only detected there, as in Stella.
 * - With `drawPixels` off, segments skip the frame buffer and only compute collisions (and skip even
 *   that when fewer than two objects are on).
 * - A frame ends when VSYNC is cleared at least one line after it was set, or on the first write more
 *   than 290 lines after the frame began; the console also stops after 25,000 instructions.
 * - HMOVE moves objects by the amount Stella's motion table gives for the CPU cycle of the write
 *   (late HMOVEs move differently), and an HMOVE early in the line blanks its first 8 pixels.
 * - Paddles: INPT0-3 read high once the capacitor has charged, `1.6 * R * 0.01e-6 * 1.19e6` cycles
 *   after VBLANK stopped dumping it to ground.
 */
import type { Cpu6507 } from "./cpu.js";

/** What the TIA needs from the rest of the console. */
export interface TiaBus {
  /** CPU cycles since the frame began (rebased to zero at each frame start). */
  cycles: number;
  /** The last byte on the data bus: unused TIA read bits float to it. */
  dataBus: number;
  /** Whether the previous bus access was a read (WSYNC only halts on a read cycle). */
  lastAccessWasRead: boolean;
  /** Restarts the cycle counter at zero, telling every device. */
  rebaseCycles(): void;
}

const HBLANK = 68;
const CLOCKS_PER_LINE = 228;
/** NTSC: a frame is forced to end at the first TIA write past this many lines. */
const MAX_SCANLINES = 290;
const FRAME_BUFFER_LINES = 300;
const WIDTH = 160;

// Object bits, as Stella numbers them (the collision and priority tables are indexed by them).
const P0_BIT = 0x01;
const M0_BIT = 0x02;
const P1_BIT = 0x04;
const M1_BIT = 0x08;
const BL_BIT = 0x10;
const PF_BIT = 0x20;
const SCORE_BIT = 0x40;
const PRIORITY_BIT = 0x80;

// ---- mask tables (built once) ----

/** Ball: [align 4][size 4][320], then 320 zeros for a disabled ball. */
const BALL_MASK = new Uint8Array(4 * 4 * 320 + 320);
const BALL_DISABLED = 4 * 4 * 320;
/** Missiles: [align 4][copies mode 8][size 4][320], then 320 zeros for a disabled missile. */
const MISSILE_MASK = new Uint8Array(4 * 8 * 4 * 320 + 320);
const MISSILE_DISABLED = 4 * 8 * 4 * 320;
/** Players: [align 4][skip first copy 2][mode 8][320], holding the GRP bit shown at each pixel. */
const PLAYER_MASK = new Uint8Array(4 * 2 * 8 * 320);
/** [mode 8][old x 160][new x 160]: 1 = inside a copy being drawn, -1 = in its start delay, 0 = neither. */
const PLAYER_RESET_WHEN = new Int8Array(8 * 160 * 160);
const REFLECT = new Uint8Array(256);
/** Playfield: [reflected 2][160] -> bit of the 20-bit PF register (PF0 low nibble first). */
const PLAYFIELD_MASK = new Uint32Array(2 * 160);
/** Collision latch bits for each set of objects present at a pixel. */
const COLLISIONS = new Uint16Array(64);
/** [right half 2][objects | score | priority] -> colour register 0 BK, 1 PF, 2 P0, 3 P1. */
const PRIORITY = new Uint8Array(2 * 256);

/** Copy offsets (in pixels) of the player/missile copies for each NUSIZ mode. */
const COPIES: readonly (readonly number[])[] = [
  [0],
  [0, 16],
  [0, 32],
  [0, 16, 32],
  [0, 64],
  [0],
  [0, 32, 64],
  [0],
];

function buildTables(): void {
  // Alignment 0 first; alignments 1-3 are the same shifted right by 1-3 pixels.
  const shifted = (table: Uint8Array, base0: number, baseAlign: number, align: number) => {
    for (let x = 0; x < 320; x++) table[baseAlign + x] = table[base0 + ((x + 320 - align) % 320)];
  };
  for (let size = 0; size < 4; size++) {
    const base = size * 320;
    for (let x = 0; x < 1 << size; x++) BALL_MASK[base + x] = 1;
    for (let x = 0; x < 160; x++) BALL_MASK[base + x + 160] = BALL_MASK[base + x];
    for (let align = 1; align < 4; align++) shifted(BALL_MASK, base, (align * 4 + size) * 320, align);
  }
  for (let mode = 0; mode < 8; mode++) {
    for (let size = 0; size < 4; size++) {
      const base = (mode * 4 + size) * 320;
      for (const copy of COPIES[mode]) {
        for (let x = copy; x < copy + (1 << size); x++) MISSILE_MASK[base + (x % 160)] = 1;
      }
      for (let x = 0; x < 160; x++) MISSILE_MASK[base + x + 160] = MISSILE_MASK[base + x];
      for (let align = 1; align < 4; align++) {
        shifted(MISSILE_MASK, base, ((align * 8 + mode) * 4 + size) * 320, align);
      }
    }
  }
  for (let skipFirst = 0; skipFirst < 2; skipFirst++) {
    for (let mode = 0; mode < 8; mode++) {
      const base = (skipFirst * 8 + mode) * 320;
      if (mode === 5 || mode === 7) {
        // Double and quad width: one copy, output delayed by one pixel.
        const scale = mode === 5 ? 2 : 4;
        if (skipFirst === 0) {
          for (let x = 1; x <= 8 * scale; x++) PLAYER_MASK[base + x] = 0x80 >> Math.floor((x - 1) / scale);
        }
      } else {
        for (const copy of COPIES[mode]) {
          if (copy === 0 && skipFirst === 1) continue;
          for (let x = 0; x < 8; x++) PLAYER_MASK[base + ((copy + x) % 160)] = 0x80 >> x;
        }
      }
      for (let x = 0; x < 160; x++) PLAYER_MASK[base + x + 160] = PLAYER_MASK[base + x];
      for (let align = 1; align < 4; align++) {
        shifted(PLAYER_MASK, base, ((align * 2 + skipFirst) * 8 + mode) * 320, align);
      }
    }
  }
  for (let mode = 0; mode < 8; mode++) {
    const width = mode === 5 ? 16 : mode === 7 ? 32 : 8;
    for (let oldX = 0; oldX < 160; oldX++) {
      const row = (mode * 160 + oldX) * 160;
      for (const copy of COPIES[mode]) {
        for (let x = oldX + copy; x < oldX + copy + 4; x++) PLAYER_RESET_WHEN[row + (x % 160)] = -1;
        for (let x = oldX + copy + 4; x < oldX + copy + 4 + width; x++)
          PLAYER_RESET_WHEN[row + (x % 160)] = 1;
      }
    }
  }
  for (let i = 0; i < 256; i++) {
    let r = 0;
    for (let bit = 0; bit < 8; bit++) if (i & (1 << bit)) r |= 0x80 >> bit;
    REFLECT[i] = r;
  }
  for (let x = 0; x < 160; x++) {
    // PF0 (4 bits, low first), PF1 (8 bits, high first), PF2 (8 bits, low first); the right half
    // repeats them, or mirrors them when CTRLPF bit 0 is set.
    const half = x < 80 ? x : x - 80;
    const leftHalfBit = (h: number) =>
      h < 16 ? 0x00001 << (h >> 2) : h < 48 ? 0x00800 >>> ((h - 16) >> 2) : 0x01000 << ((h - 48) >> 2);
    PLAYFIELD_MASK[x] = leftHalfBit(half);
    PLAYFIELD_MASK[160 + x] = x < 80 ? leftHalfBit(x) : leftHalfBit(159 - x);
  }
  const pairs: [number, number, number][] = [
    [M0_BIT, P1_BIT, 0x0001],
    [M0_BIT, P0_BIT, 0x0002],
    [M1_BIT, P0_BIT, 0x0004],
    [M1_BIT, P1_BIT, 0x0008],
    [P0_BIT, PF_BIT, 0x0010],
    [P0_BIT, BL_BIT, 0x0020],
    [P1_BIT, PF_BIT, 0x0040],
    [P1_BIT, BL_BIT, 0x0080],
    [M0_BIT, PF_BIT, 0x0100],
    [M0_BIT, BL_BIT, 0x0200],
    [M1_BIT, PF_BIT, 0x0400],
    [M1_BIT, BL_BIT, 0x0800],
    [BL_BIT, PF_BIT, 0x1000],
    [P0_BIT, P1_BIT, 0x2000],
    [M0_BIT, M1_BIT, 0x4000],
  ];
  for (let objects = 0; objects < 64; objects++) {
    for (const [a, b, latch] of pairs) if (objects & a && objects & b) COLLISIONS[objects] |= latch;
  }
  for (let half = 0; half < 2; half++) {
    for (let e = 0; e < 256; e++) {
      let colour = 0;
      if (e & PRIORITY_BIT) {
        // Playfield and ball in front of the players and missiles.
        if (e & (P1_BIT | M1_BIT)) colour = 3;
        if (e & (P0_BIT | M0_BIT)) colour = 2;
        if (e & BL_BIT) colour = 1;
        if (e & PF_BIT) colour = 1;
      } else {
        if (e & BL_BIT) colour = 1;
        // Score mode: the playfield takes player 0's colour on the left, player 1's on the right.
        if (e & PF_BIT) colour = e & SCORE_BIT ? (half === 0 ? 2 : 3) : 1;
        if (e & (P1_BIT | M1_BIT)) colour = colour !== 2 ? 3 : 2;
        if (e & (P0_BIT | M0_BIT)) colour = 2;
      }
      PRIORITY[half * 256 + e] = colour;
    }
  }
}
buildTables();

/**
 * Position change per HMOVE, by CPU cycle of the write within the line (rows) and motion nibble
 * (columns). Writes in the first 21 cycles (HBLANK) move by the full amount, -7..+8; later ones
 * interfere with the motion clocks (Stella's measured table).
 */
const MOTION_ROWS: Record<number, readonly number[]> = {
  0: [0, -1, -2, -3, -4, -5, -6, -7, 8, 7, 6, 5, 4, 3, 2, 1],
  4: [0, -1, -2, -3, -4, -5, -6, -6, 8, 7, 6, 5, 4, 3, 2, 1],
  5: [0, -1, -2, -3, -4, -5, -5, -5, 8, 7, 6, 5, 4, 3, 2, 1],
  7: [0, -1, -2, -3, -4, -4, -4, -4, 8, 7, 6, 5, 4, 3, 2, 1],
  8: [0, -1, -2, -3, -3, -3, -3, -3, 8, 7, 6, 5, 4, 3, 2, 1],
  9: [0, -1, -2, -2, -2, -2, -2, -2, 8, 7, 6, 5, 4, 3, 2, 1],
  11: [0, -1, -1, -1, -1, -1, -1, -1, 8, 7, 6, 5, 4, 3, 2, 1],
  12: [0, 0, 0, 0, 0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1],
  13: [1, 1, 1, 1, 1, 1, 1, 1, 8, 7, 6, 5, 4, 3, 2, 1],
  15: [2, 2, 2, 2, 2, 2, 2, 2, 8, 7, 6, 5, 4, 3, 2, 2],
  16: [3, 3, 3, 3, 3, 3, 3, 3, 8, 7, 6, 5, 4, 3, 3, 3],
  17: [4, 4, 4, 4, 4, 4, 4, 4, 8, 7, 6, 5, 4, 4, 4, 4],
  19: [5, 5, 5, 5, 5, 5, 5, 5, 8, 7, 6, 5, 5, 5, 5, 5],
  20: [6, 6, 6, 6, 6, 6, 6, 6, 8, 7, 6, 6, 6, 6, 6, 6],
  21: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  55: [0, 0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0],
  56: [0, 0, 0, 0, 0, 0, -1, -2, 0, 0, 0, 0, 0, 0, 0, 0],
  57: [0, 0, 0, 0, 0, -1, -2, -3, 0, 0, 0, 0, 0, 0, 0, 0],
  59: [0, 0, 0, 0, -1, -2, -3, -4, 0, 0, 0, 0, 0, 0, 0, 0],
  60: [0, 0, 0, -1, -2, -3, -4, -5, 0, 0, 0, 0, 0, 0, 0, 0],
  61: [0, 0, -1, -2, -3, -4, -5, -6, 0, 0, 0, 0, 0, 0, 0, 0],
  63: [0, -1, -2, -3, -4, -5, -6, -7, 0, 0, 0, 0, 0, 0, 0, 0],
  64: [-1, -2, -3, -4, -5, -6, -7, -8, 0, 0, 0, 0, 0, 0, 0, 0],
  65: [-2, -3, -4, -5, -6, -7, -8, -9, 0, 0, 0, 0, 0, 0, 0, -1],
  67: [-3, -4, -5, -6, -7, -8, -9, -10, 0, 0, 0, 0, 0, 0, -1, -2],
  68: [-4, -5, -6, -7, -8, -9, -10, -11, 0, 0, 0, 0, 0, -1, -2, -3],
  69: [-5, -6, -7, -8, -9, -10, -11, -12, 0, 0, 0, 0, -1, -2, -3, -4],
  71: [-6, -7, -8, -9, -10, -11, -12, -13, 0, 0, 0, -1, -2, -3, -4, -5],
  72: [-7, -8, -9, -10, -11, -12, -13, -14, 0, 0, -1, -2, -3, -4, -5, -6],
  73: [-8, -9, -10, -11, -12, -13, -14, -15, 0, -1, -2, -3, -4, -5, -6, -7],
  75: [0, -1, -2, -3, -4, -5, -6, -7, 8, 7, 6, 5, 4, 3, 2, 1],
};
/** [cycle 76][nibble 16]; a cycle not listed repeats the row before it. */
const MOTION = new Int8Array(76 * 16);
for (let cycle = 0, row = MOTION_ROWS[0]; cycle < 76; cycle++) {
  row = MOTION_ROWS[cycle] ?? row;
  MOTION.set(row, cycle * 16);
}
/** Missile 0's move per line under the "Cosmic Ark" bug, by a counter stepping 0-3 each line. */
const COSMIC_ARK_MOTION = [18, 33, 0, 17];
/** HMOVE in these CPU cycles of a line blanks the line's first 8 pixels. */
const hmoveBlanks = (cycle: number) => cycle <= 20 || cycle === 75;

/** Extra colour clocks before a write takes effect, by register (-1: playfield, depends on phase). */
const WRITE_DELAY = new Int8Array(64);
for (const [register, delay] of [
  [0x01, 1],
  [0x04, 8],
  [0x05, 8],
  [0x0b, 1],
  [0x0c, 1],
  [0x0d, -1],
  [0x0e, -1],
  [0x0f, -1],
  [0x12, 8],
  [0x13, 8],
  [0x1b, 1],
  [0x1c, 1],
] as const) {
  WRITE_DELAY[register] = delay;
}
const PLAYFIELD_DELAY = [4, 5, 2, 3];
/**
 * Registers whose writes can change what is drawn (or end the frame, VSYNC), so the picture must be
 * brought up to date first. WSYNC, RSYNC, audio, HMxx and HMCLR cannot: skipping the update there
 * draws the same pixels, later.
 */
const AFFECTS_PICTURE = new Uint8Array(64).fill(1);
for (const register of [0x02, 0x03, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x20, 0x21, 0x22, 0x23, 0x24, 0x2b]) {
  AFFECTS_PICTURE[register] = 0;
}
for (let register = 0x2d; register < 64; register++) AFFECTS_PICTURE[register] = 0;

/** Paddle resistance meaning "no paddle on this pin" (always reads low) and "always charged". */
export const MAXIMUM_RESISTANCE = 0x7fffffff;
export const MINIMUM_RESISTANCE = 0;

export class Tia {
  /** Palette indices (even numbers 0-254), two buffers swapped at each frame start. */
  frameBuffer = new Uint8Array(WIDTH * FRAME_BUFFER_LINES);
  private previousFrameBuffer = new Uint8Array(WIDTH * FRAME_BUFFER_LINES);
  /** The same buffers seen as 32-bit words, for 4-pixel writes. */
  private frameBuffer32 = new Uint32Array(this.frameBuffer.buffer);
  private previousFrameBuffer32 = new Uint32Array(this.previousFrameBuffer.buffer);
  /** Whether segments are drawn into the frame buffer (collisions are computed regardless). */
  drawPixels = true;

  /** Input ports: paddle resistance on INPT0-3, fire button (pressed = true) on INPT4-5. */
  readonly paddleResistance = new Int32Array([
    MAXIMUM_RESISTANCE,
    MAXIMUM_RESISTANCE,
    MAXIMUM_RESISTANCE,
    MAXIMUM_RESISTANCE,
  ]);
  readonly firePressed = [false, false];

  private readonly yStart: number;
  private readonly height: number;
  private readonly hmoveBlanksAllowed: boolean;
  private cpu!: Cpu6507;

  // Frame timing, in colour clocks relative to the bus cycle counter * 3.
  private clockWhenFrameStarted = 0;
  private clockStartDisplay = 0;
  private clockStopDisplay = 0;
  private clockAtLastUpdate = 0;
  private clocksToEndOfScanLine = CLOCKS_PER_LINE;
  private vsyncFinishClock = 0x7fffffff;
  private lastHmoveClock = 0;
  private framePointer = 0;
  /** The frame did not end (instruction limit): the next `runFrame` continues it. */
  partialFrame = false;
  private frameGreyed = false;
  /** Lines in the last completed frame. */
  scanlinesLastFrame = 0;
  private currentScanline = 0;

  // Registers.
  private vsync = 0;
  private vblank = 0;
  private nusiz0 = 0;
  private nusiz1 = 0;
  /** Colour registers: 0 background, 1 playfield, 2 player 0, 3 player 1. */
  private readonly colour = new Uint8Array(4);
  private ctrlpf = 0;
  private priorityAndScore = 0;
  private refp0 = false;
  private refp1 = false;
  private pf = 0;
  private grp0 = 0;
  private grp1 = 0;
  private dgrp0 = 0;
  private dgrp1 = 0;
  private enam0 = false;
  private enam1 = false;
  private enabl = false;
  private denabl = false;
  private hmp0 = 0;
  private hmp1 = 0;
  private hmm0 = 0;
  private hmm1 = 0;
  private hmbl = 0;
  private vdelp0 = false;
  private vdelp1 = false;
  private vdelbl = false;
  private resmp0 = false;
  private resmp1 = false;
  private collision = 0;
  private posP0 = 0;
  private posP1 = 0;
  private posM0 = 0;
  private posM1 = 0;
  private posBL = 0;

  // Derived drawing state.
  private enabledObjects = 0;
  private currentGRP0 = 0;
  private currentGRP1 = 0;
  private p0Mask = 0;
  private p1Mask = 0;
  private m0Mask = 0;
  private m1Mask = 0;
  private blMask = 0;
  private pfMask = 0;
  private hmoveBlankEnabled = false;
  private m0CosmicArkMotion = false;
  private m0CosmicArkCounter = 0;
  private dumpEnabled = false;
  private dumpDisabledCycle = 0;

  constructor(
    private readonly bus: TiaBus,
    options: { yStart: number; height: number; hmoveBlanks: boolean },
  ) {
    this.yStart = options.yStart;
    this.height = options.height;
    this.hmoveBlanksAllowed = options.hmoveBlanks;
  }

  attachCpu(cpu: Cpu6507): void {
    this.cpu = cpu;
  }

  get screenHeight(): number {
    return this.height;
  }

  /** System reset: registers cleared, frame timing restarted at the current cycle. */
  reset(): void {
    this.enabledObjects = 0;
    this.vsync = this.vblank = this.nusiz0 = this.nusiz1 = 0;
    this.colour.fill(0);
    this.ctrlpf = this.priorityAndScore = 0;
    this.refp0 = this.refp1 = false;
    this.pf = this.grp0 = this.grp1 = this.dgrp0 = this.dgrp1 = 0;
    this.enam0 = this.enam1 = this.enabl = this.denabl = false;
    this.hmp0 = this.hmp1 = this.hmm0 = this.hmm1 = this.hmbl = 0;
    this.vdelp0 = this.vdelp1 = this.vdelbl = false;
    this.resmp0 = this.resmp1 = false;
    this.collision = 0;
    this.posP0 = this.posP1 = this.posM0 = this.posM1 = this.posBL = 0;
    this.currentGRP0 = this.currentGRP1 = 0;
    this.blMask = ballMask(0, 0);
    this.m0Mask = this.m1Mask = missileMask(0, 0);
    this.p0Mask = this.p1Mask = playerMask(0, 0, 0);
    this.pfMask = 0;
    this.lastHmoveClock = 0;
    this.hmoveBlankEnabled = false;
    this.m0CosmicArkMotion = false;
    this.m0CosmicArkCounter = 0;
    this.dumpEnabled = false;
    this.dumpDisabledCycle = 0;
    // Frame timing restarts here.
    this.frameBuffer.fill(0);
    this.previousFrameBuffer.fill(0);
    this.framePointer = 0;
    this.clockWhenFrameStarted = this.bus.cycles * 3;
    this.clockStartDisplay = this.clockWhenFrameStarted + CLOCKS_PER_LINE * this.yStart;
    this.clockStopDisplay = this.clockStartDisplay + CLOCKS_PER_LINE * this.height;
    this.clockAtLastUpdate = this.clockWhenFrameStarted;
    this.clocksToEndOfScanLine = CLOCKS_PER_LINE;
    this.vsyncFinishClock = 0x7fffffff;
    this.scanlinesLastFrame = 0;
    this.currentScanline = 0;
  }

  /** The bus cycle counter is about to restart at zero: keep remembered times relative to it. */
  rebaseCycles(cycles: number): void {
    this.dumpDisabledCycle -= cycles;
    const clocks = cycles * 3;
    this.clockWhenFrameStarted -= clocks;
    this.clockStartDisplay -= clocks;
    this.clockStopDisplay -= clocks;
    this.clockAtLastUpdate -= clocks;
    this.vsyncFinishClock -= clocks;
    this.lastHmoveClock -= clocks;
  }

  /** Emulates one frame: runs the CPU until the frame ends (or 25,000 instructions). */
  runFrame(): void {
    if (!this.partialFrame) this.startFrame();
    this.partialFrame = true;
    this.cpu.execute(25000);
    this.currentScanline = ((this.bus.cycles * 3 - this.clockWhenFrameStarted) / CLOCKS_PER_LINE) | 0;
    if (this.partialFrame) {
      if (!this.frameGreyed) this.greyOutFrame();
      this.frameGreyed = true;
    } else {
      this.scanlinesLastFrame = this.currentScanline;
      this.frameGreyed = false;
    }
  }

  private startFrame(): void {
    const swap = this.frameBuffer;
    this.frameBuffer = this.previousFrameBuffer;
    this.previousFrameBuffer = swap;
    const swap32 = this.frameBuffer32;
    this.frameBuffer32 = this.previousFrameBuffer32;
    this.previousFrameBuffer32 = swap32;
    // Objects keep their horizontal phase: the new frame starts where the line currently is.
    const clocks = (this.bus.cycles * 3 - this.clockWhenFrameStarted) % CLOCKS_PER_LINE;
    this.bus.rebaseCycles();
    // (0 - clocks, not -clocks: a -0 would make the frame timing floating-point from here on.)
    this.clockWhenFrameStarted = 0 - clocks;
    this.clockStartDisplay = this.clockWhenFrameStarted + CLOCKS_PER_LINE * this.yStart;
    this.clockStopDisplay = this.clockStartDisplay + CLOCKS_PER_LINE * this.height;
    this.clockAtLastUpdate = this.clockStartDisplay;
    this.clocksToEndOfScanLine = CLOCKS_PER_LINE;
    this.framePointer = 0;
    this.frameGreyed = false;
  }

  /** An interrupted frame: Stella dims what was not drawn (palette index & 0x0F, halved). */
  private greyOutFrame(): void {
    const first = Math.max(this.currentScanline, this.yStart);
    const fb = this.frameBuffer;
    for (let line = first; line < this.height + this.yStart; line++) {
      const row = (line - this.yStart) * WIDTH;
      for (let x = 0; x < WIDTH; x++) fb[row + x] = (fb[row + x] & 0x0f) >> 1;
    }
  }

  // ---- drawing ----

  /** Draws everything up to colour clock `clock` with the registers as they are now. */
  private updateFrame(clock: number): void {
    if (
      clock < this.clockStartDisplay ||
      this.clockAtLastUpdate >= this.clockStopDisplay ||
      this.clockAtLastUpdate >= clock
    ) {
      return;
    }
    if (clock > this.clockStopDisplay) clock = this.clockStopDisplay;
    do {
      let clocksToUpdate: number;
      let fromLineStart = CLOCKS_PER_LINE - this.clocksToEndOfScanLine;
      if (clock > this.clockAtLastUpdate + this.clocksToEndOfScanLine) {
        clocksToUpdate = this.clocksToEndOfScanLine;
        this.clocksToEndOfScanLine = CLOCKS_PER_LINE;
        this.clockAtLastUpdate += clocksToUpdate;
      } else {
        clocksToUpdate = clock - this.clockAtLastUpdate;
        this.clocksToEndOfScanLine -= clocksToUpdate;
        this.clockAtLastUpdate = clock;
      }
      if (fromLineStart < HBLANK) {
        const skip = Math.min(HBLANK - fromLineStart, clocksToUpdate);
        fromLineStart += skip;
        clocksToUpdate -= skip;
      }
      const segmentStart = this.framePointer;
      if (clocksToUpdate !== 0) this.drawSegment(clocksToUpdate, fromLineStart - HBLANK);
      if (this.hmoveBlankEnabled && fromLineStart < HBLANK + 8) {
        if (this.drawPixels)
          this.frameBuffer.fill(0, segmentStart, segmentStart + HBLANK + 8 - fromLineStart);
        if (clocksToUpdate + fromLineStart >= HBLANK + 8) this.hmoveBlankEnabled = false;
      }
      if (this.clocksToEndOfScanLine === CLOCKS_PER_LINE) this.endOfLine();
    } while (this.clockAtLastUpdate < clock);
  }

  private endOfLine(): void {
    this.pfMask = (this.ctrlpf & 0x01) * 160;
    // Copies skipped after a RESPx come back on the next line.
    this.p0Mask = playerMask(this.posP0, 0, this.nusiz0);
    this.p1Mask = playerMask(this.posP1, 0, this.nusiz1);
    if (this.m0CosmicArkMotion) {
      // The "Cosmic Ark" starfield bug: missile 0 keeps moving every line after a late HMM0 change.
      this.m0CosmicArkCounter = (this.m0CosmicArkCounter + 1) & 3;
      this.posM0 -= COSMIC_ARK_MOTION[this.m0CosmicArkCounter];
      if (this.posM0 >= 160) this.posM0 -= 160;
      else if (this.posM0 < 0) this.posM0 += 160;
      if (this.m0CosmicArkCounter === 1) {
        this.m0Mask = missileMask(this.posM0, (this.nusiz0 & 0x07) | 0x10 | (this.nusiz0 & 0x30));
      } else if (this.m0CosmicArkCounter === 2) {
        this.m0Mask = MISSILE_DISABLED;
      } else {
        this.m0Mask = missileMask(this.posM0, this.nusiz0);
      }
    }
  }

  /**
   * Draws `count` pixels of the current line from pixel `hpos`. Playfield and background are filled
   * in one quick pass; then only the pixels where a player, missile or the ball can be (their copies'
   * spans) go through the full per-pixel priority and collision logic. Elsewhere nothing can collide.
   */
  private drawSegment(count: number, hpos: number): void {
    const fb = this.frameBuffer;
    const start = this.framePointer;
    const end = start + count;
    this.framePointer = end;
    const draw = this.drawPixels;
    if (this.vblank & 0x02) {
      if (draw) fb.fill(0, start, end);
      return;
    }
    const enabled = this.enabledObjects;
    const colour = this.colour;
    if (enabled === 0) {
      if (draw) fb.fill(colour[0], start, end);
      return;
    }
    if (draw) {
      const bk = colour[0];
      const pf = this.pf;
      if (pf === 0) {
        fb.fill(bk, start, end);
      } else {
        const pfMask = this.pfMask;
        const extra = this.priorityAndScore;
        // Score mode (without priority) paints the playfield in the players' colours.
        const scoreMode = (extra & (SCORE_BIT | PRIORITY_BIT)) === SCORE_BIT;
        const left = scoreMode ? colour[2] : colour[1];
        const right = scoreMode ? colour[3] : colour[1];
        // Playfield bits are 4 pixels wide, aligned on 4 (as rows are): whole words where possible.
        let i = start;
        let x = hpos;
        for (; i < end && (x & 3) !== 0; i++, x++)
          fb[i] = pf & PLAYFIELD_MASK[pfMask + x] ? (x < 80 ? left : right) : bk;
        const fb32 = this.frameBuffer32;
        const bk4 = bk * 0x01010101;
        const left4 = left * 0x01010101;
        const right4 = right * 0x01010101;
        for (; i + 4 <= end; i += 4, x += 4) {
          fb32[i >> 2] = pf & PLAYFIELD_MASK[pfMask + x] ? (x < 80 ? left4 : right4) : bk4;
        }
        for (; i < end; i++, x++) fb[i] = pf & PLAYFIELD_MASK[pfMask + x] ? (x < 80 ? left : right) : bk;
      }
    }
    const movable = enabled & ~PF_BIT;
    // Nothing but the playfield, or a single object with nothing to draw: no collision possible.
    if (movable === 0 || (!draw && (enabled & (enabled - 1)) === 0)) return;
    this.segmentOrigin = start - hpos;
    const last = hpos + count;
    if (movable & P0_BIT) this.playerSpans(this.posP0, this.nusiz0, hpos, last);
    if (movable & P1_BIT) this.playerSpans(this.posP1, this.nusiz1, hpos, last);
    if (movable & M0_BIT) {
      const width = this.m0CosmicArkMotion
        ? Math.max(2, 1 << ((this.nusiz0 >> 4) & 3))
        : 1 << ((this.nusiz0 >> 4) & 3);
      this.missileSpans(this.posM0, this.nusiz0, width, hpos, last);
    }
    if (movable & M1_BIT)
      this.missileSpans(this.posM1, this.nusiz1, 1 << ((this.nusiz1 >> 4) & 3), hpos, last);
    if (movable & BL_BIT) this.span(this.posBL, 1 << ((this.ctrlpf >> 4) & 3), hpos, last);
  }

  /** Frame-buffer index of pixel 0 of the segment being drawn. */
  private segmentOrigin = 0;

  private playerSpans(position: number, nusiz: number, from: number, to: number): void {
    const mode = nusiz & 7;
    // Double and quad width players start one pixel late.
    const width = mode === 5 ? 17 : mode === 7 ? 33 : 8;
    const copies = COPIES[mode];
    for (let c = 0; c < copies.length; c++) this.span(position + copies[c], width, from, to);
  }

  private missileSpans(position: number, nusiz: number, width: number, from: number, to: number): void {
    const copies = COPIES[nusiz & 7];
    for (let c = 0; c < copies.length; c++) this.span(position + copies[c], width, from, to);
  }

  /** The full pixel logic over [first, first + width) (wrapping at 160), clipped to [from, to). */
  private span(first: number, width: number, from: number, to: number): void {
    if (first >= 160) first -= 160;
    const stop = first + width;
    if (stop > 160) {
      this.drawPixelsFull(Math.max(first, from), Math.min(160, to));
      this.drawPixelsFull(from, Math.min(stop - 160, to));
    } else {
      this.drawPixelsFull(Math.max(first, from), Math.min(stop, to));
    }
  }

  /** Priority, colour and collisions pixel by pixel over [from, to) of the current segment. */
  private drawPixelsFull(from: number, to: number): void {
    if (from >= to) return;
    const enabled = this.enabledObjects;
    const pf = this.pf;
    const pfMask = this.pfMask;
    const grp0 = this.currentGRP0;
    const grp1 = this.currentGRP1;
    const p0 = this.p0Mask;
    const p1 = this.p1Mask;
    const m0 = enabled & M0_BIT ? this.m0Mask : MISSILE_DISABLED;
    const m1 = enabled & M1_BIT ? this.m1Mask : MISSILE_DISABLED;
    const bl = enabled & BL_BIT ? this.blMask : BALL_DISABLED;
    const extra = this.priorityAndScore;
    const colour = this.colour;
    const fb = this.frameBuffer;
    const draw = this.drawPixels;
    const origin = this.segmentOrigin;
    let collision = this.collision;
    for (let x = from; x < to; x++) {
      let objects = pf & PLAYFIELD_MASK[pfMask + x] ? PF_BIT : 0;
      if (BALL_MASK[bl + x]) objects |= BL_BIT;
      if (grp1 & PLAYER_MASK[p1 + x]) objects |= P1_BIT;
      if (MISSILE_MASK[m1 + x]) objects |= M1_BIT;
      if (grp0 & PLAYER_MASK[p0 + x]) objects |= P0_BIT;
      if (MISSILE_MASK[m0 + x]) objects |= M0_BIT;
      collision |= COLLISIONS[objects];
      if (draw) fb[origin + x] = colour[PRIORITY[(x < 80 ? 0 : 256) + (objects | extra)]];
    }
    this.collision = collision;
  }

  // ---- bus interface ----

  /** A read of a TIA register (collisions, inputs); unused bits float to the data bus. */
  peek(address: number): number {
    const noise = this.bus.dataBus & 0x3f;
    const register = address & 0x0f;
    if (register < 0x08) {
      this.updateFrame(this.bus.cycles * 3);
      const c = this.collision;
      switch (register) {
        case 0x00:
          return ((c & 0x0001) << 7) | ((c & 0x0002) << 5) | noise; // CXM0P
        case 0x01:
          return ((c & 0x0004) << 5) | ((c & 0x0008) << 3) | noise; // CXM1P
        case 0x02:
          return ((c & 0x0010) << 3) | ((c & 0x0020) << 1) | noise; // CXP0FB
        case 0x03:
          return ((c & 0x0040) << 1) | ((c & 0x0080) >> 1) | noise; // CXP1FB
        case 0x04:
          return ((c & 0x0100) >> 1) | ((c & 0x0200) >> 3) | noise; // CXM0FB
        case 0x05:
          return ((c & 0x0400) >> 3) | ((c & 0x0800) >> 5) | noise; // CXM1FB
        case 0x06:
          return ((c & 0x1000) >> 5) | noise; // CXBLPF
        default:
          return ((c & 0x2000) >> 6) | ((c & 0x4000) >> 8) | noise; // CXPPMM
      }
    }
    if (register < 0x0c) return this.paddleCharged(register - 0x08) ? 0x80 | noise : noise;
    if (register < 0x0e) return this.firePressed[register - 0x0c] ? noise : 0x80 | noise;
    return noise;
  }

  private paddleCharged(pin: number): boolean {
    const r = this.paddleResistance[pin];
    if (r === MINIMUM_RESISTANCE) return true;
    if (r === MAXIMUM_RESISTANCE || this.dumpEnabled) return false;
    const needed = Math.trunc(1.6 * r * 0.01e-6 * 1.19e6);
    // Compared as Stella does, in unsigned 32-bit arithmetic.
    return this.bus.cycles > (this.dumpDisabledCycle + needed) >>> 0;
  }

  /** A write to a TIA register. */
  poke(address: number, value: number): void {
    const register = address & 0x3f;
    const clock = this.bus.cycles * 3;
    const frameClock = clock - this.clockWhenFrameStarted;
    // The colour clock within the line: a multiple of 3, as frames start on CPU cycles.
    const lineClock = frameClock % CLOCKS_PER_LINE;
    if (AFFECTS_PICTURE[register] && this.changesPicture(register, value)) {
      let delay = WRITE_DELAY[register];
      if (delay < 0) delay = PLAYFIELD_DELAY[(lineClock / 3) & 3];
      this.updateFrame(clock + delay);
    }

    // No VSYNC in time: end the frame anyway.
    if (frameClock >= (MAX_SCANLINES + 1) * CLOCKS_PER_LINE) {
      this.cpu.stopRequested = true;
      this.partialFrame = false;
    }

    switch (register) {
      case 0x00: // VSYNC
        this.vsync = value;
        if (value & 0x02) {
          this.vsyncFinishClock = clock + CLOCKS_PER_LINE;
        } else if (clock >= this.vsyncFinishClock) {
          this.vsyncFinishClock = 0x7fffffff;
          this.cpu.stopRequested = true;
          this.partialFrame = false;
        }
        break;
      case 0x01: // VBLANK (bit 7 dumps the paddle capacitors to ground)
        if (!(this.vblank & 0x80) && value & 0x80) this.dumpEnabled = true;
        if (this.vblank & 0x80 && !(value & 0x80)) {
          this.dumpEnabled = false;
          this.dumpDisabledCycle = this.bus.cycles;
        }
        this.vblank = value;
        break;
      case 0x02: // WSYNC: halt the CPU (on a read cycle) until the end of the line
        if (this.bus.lastAccessWasRead) {
          if (lineClock !== 0) this.bus.cycles += (CLOCKS_PER_LINE - lineClock) / 3;
        }
        break;
      case 0x04: // NUSIZ0
        this.nusiz0 = value;
        this.p0Mask = playerMask(this.posP0, 0, value);
        this.m0Mask = missileMask(this.posM0, value);
        break;
      case 0x05: // NUSIZ1
        this.nusiz1 = value;
        this.p1Mask = playerMask(this.posP1, 0, value);
        this.m1Mask = missileMask(this.posM1, value);
        break;
      case 0x06: // COLUP0
        this.colour[2] = value & 0xfe;
        break;
      case 0x07: // COLUP1
        this.colour[3] = value & 0xfe;
        break;
      case 0x08: // COLUPF
        this.colour[1] = value & 0xfe;
        break;
      case 0x09: // COLUBK
        this.colour[0] = value & 0xfe;
        break;
      case 0x0a: // CTRLPF
        this.ctrlpf = value;
        this.priorityAndScore = (value & 0x06) << 5;
        // Reflection changes take effect at once only while on the left half.
        if (lineClock < HBLANK + 79) this.pfMask = (value & 0x01) * 160;
        this.blMask = ballMask(this.posBL, value);
        break;
      case 0x0b: // REFP0
        if (((value & 0x08) !== 0) !== this.refp0) {
          this.refp0 = (value & 0x08) !== 0;
          this.currentGRP0 = REFLECT[this.currentGRP0];
        }
        break;
      case 0x0c: // REFP1
        if (((value & 0x08) !== 0) !== this.refp1) {
          this.refp1 = (value & 0x08) !== 0;
          this.currentGRP1 = REFLECT[this.currentGRP1];
        }
        break;
      case 0x0d: // PF0
        this.pf = (this.pf & 0x000ffff0) | ((value >> 4) & 0x0f);
        this.updatePlayfieldEnabled();
        break;
      case 0x0e: // PF1
        this.pf = (this.pf & 0x000ff00f) | (value << 4);
        this.updatePlayfieldEnabled();
        break;
      case 0x0f: // PF2
        this.pf = (this.pf & 0x00000fff) | (value << 12);
        this.updatePlayfieldEnabled();
        break;
      case 0x10: // RESP0
        this.resetPlayer(0, clock, lineClock);
        break;
      case 0x11: // RESP1
        this.resetPlayer(1, clock, lineClock);
        break;
      case 0x12: {
        // RESM0
        this.posM0 = lineClock < HBLANK ? 2 : (lineClock - HBLANK + 4) % 160;
        // Stella's special case for a RESM0 20 cycles after HMOVE (Dolphin).
        if (clock - this.lastHmoveClock === 20 * 3 && lineClock === 69) this.posM0 = 8;
        this.m0Mask = missileMask(this.posM0, this.nusiz0);
        break;
      }
      case 0x13: {
        // RESM1
        this.posM1 = lineClock < HBLANK ? 2 : (lineClock - HBLANK + 4) % 160;
        // Stella's special case for a RESM1 3 cycles after HMOVE (Pitfall II).
        if (clock - this.lastHmoveClock === 3 * 3 && lineClock === 18) this.posM1 = 3;
        this.m1Mask = missileMask(this.posM1, this.nusiz1);
        break;
      }
      case 0x14: {
        // RESBL
        this.posBL = lineClock < HBLANK ? 2 : (lineClock - HBLANK + 4) % 160;
        // Stella's special cases for a RESBL just after HMOVE.
        const sinceHmove = clock - this.lastHmoveClock;
        if (sinceHmove === 18 * 3 && (lineClock === 60 || lineClock === 69)) this.posBL = 10;
        else if (sinceHmove === 3 * 3 && lineClock === 18) this.posBL = 3;
        else if (sinceHmove === 7 * 3 && lineClock === 30) this.posBL = 6;
        else if (sinceHmove === 6 * 3 && lineClock === 27) this.posBL = 5;
        this.blMask = ballMask(this.posBL, this.ctrlpf);
        break;
      }
      case 0x1b: // GRP0 (also latches GRP1 into its delay register)
        this.grp0 = value;
        this.dgrp1 = this.grp1;
        this.updatePlayerGraphics();
        break;
      case 0x1c: // GRP1 (also latches GRP0 and ENABL into their delay registers)
        this.grp1 = value;
        this.dgrp0 = this.grp0;
        this.denabl = this.enabl;
        this.updatePlayerGraphics();
        this.updateBallEnabled();
        break;
      case 0x1d: // ENAM0
        this.enam0 = (value & 0x02) !== 0;
        this.setEnabled(M0_BIT, this.enam0 && !this.resmp0);
        break;
      case 0x1e: // ENAM1
        this.enam1 = (value & 0x02) !== 0;
        this.setEnabled(M1_BIT, this.enam1 && !this.resmp1);
        break;
      case 0x1f: // ENABL
        this.enabl = (value & 0x02) !== 0;
        this.updateBallEnabled();
        break;
      case 0x20: // HMP0
        this.hmp0 = value >> 4;
        break;
      case 0x21: // HMP1
        this.hmp1 = value >> 4;
        break;
      case 0x22: {
        // HMM0
        const motion = value >> 4;
        if (clock === this.lastHmoveClock + 21 * 3 && this.hmm0 === 7 && motion === 6) {
          this.m0CosmicArkMotion = true;
          this.m0CosmicArkCounter = 0;
        }
        this.hmm0 = motion;
        break;
      }
      case 0x23: // HMM1
        this.hmm1 = value >> 4;
        break;
      case 0x24: // HMBL
        this.hmbl = value >> 4;
        break;
      case 0x25: // VDELP0
        this.vdelp0 = (value & 0x01) !== 0;
        this.updatePlayerGraphics();
        break;
      case 0x26: // VDELP1
        this.vdelp1 = (value & 0x01) !== 0;
        this.updatePlayerGraphics();
        break;
      case 0x27: // VDELBL
        this.vdelbl = (value & 0x01) !== 0;
        this.updateBallEnabled();
        break;
      case 0x28: // RESMP0: while set, missile 0 is hidden; on release it is centred on player 0
        if (this.resmp0 && !(value & 0x02)) {
          this.posM0 = (this.posP0 + missileCentre(this.nusiz0)) % 160;
          this.m0Mask = missileMask(this.posM0, this.nusiz0);
        }
        this.resmp0 = (value & 0x02) !== 0;
        this.setEnabled(M0_BIT, this.enam0 && !this.resmp0);
        break;
      case 0x29: // RESMP1
        if (this.resmp1 && !(value & 0x02)) {
          this.posM1 = (this.posP1 + missileCentre(this.nusiz1)) % 160;
          this.m1Mask = missileMask(this.posM1, this.nusiz1);
        }
        this.resmp1 = (value & 0x02) !== 0;
        this.setEnabled(M1_BIT, this.enam1 && !this.resmp1);
        break;
      case 0x2a: // HMOVE
        this.applyHorizontalMotion(clock, lineClock);
        break;
      case 0x2b: // HMCLR
        this.hmp0 = this.hmp1 = this.hmm0 = this.hmm1 = this.hmbl = 0;
        break;
      case 0x2c: // CXCLR
        this.collision = 0;
        break;
      default:
        // RSYNC and the audio registers change nothing that is emulated here.
        break;
    }
  }

  /**
   * Whether writing `value` to `register` changes what is drawn. Games rewrite some registers every
   * line with the value they already hold (playfield, enables, colours); such a write needs no
   * segment drawn first. Registers whose writes have other effects (GRPx latch the delayed copies,
   * NUSIZx and CTRLPF reset drawing state) always count as changes.
   */
  private changesPicture(register: number, value: number): boolean {
    switch (register) {
      case 0x01: // VBLANK
        return value !== this.vblank;
      case 0x06: // COLUP0
        return (value & 0xfe) !== this.colour[2];
      case 0x07: // COLUP1
        return (value & 0xfe) !== this.colour[3];
      case 0x08: // COLUPF
        return (value & 0xfe) !== this.colour[1];
      case 0x09: // COLUBK
        return (value & 0xfe) !== this.colour[0];
      case 0x0d: // PF0
        return ((value >> 4) & 0x0f) !== (this.pf & 0x0f);
      case 0x0e: // PF1
        return value !== ((this.pf >> 4) & 0xff);
      case 0x0f: // PF2
        return value !== this.pf >> 12;
      case 0x1d: // ENAM0
        return ((value & 0x02) !== 0) !== this.enam0;
      case 0x1e: // ENAM1
        return ((value & 0x02) !== 0) !== this.enam1;
      case 0x1f: // ENABL
        return ((value & 0x02) !== 0) !== this.enabl;
      default:
        return true;
    }
  }

  private setEnabled(bit: number, on: boolean): void {
    if (on) this.enabledObjects |= bit;
    else this.enabledObjects &= ~bit;
  }

  private updatePlayfieldEnabled(): void {
    this.setEnabled(PF_BIT, this.pf !== 0);
  }

  private updateBallEnabled(): void {
    this.setEnabled(BL_BIT, this.vdelbl ? this.denabl : this.enabl);
  }

  private updatePlayerGraphics(): void {
    const g0 = this.vdelp0 ? this.dgrp0 : this.grp0;
    this.currentGRP0 = this.refp0 ? REFLECT[g0] : g0;
    const g1 = this.vdelp1 ? this.dgrp1 : this.grp1;
    this.currentGRP1 = this.refp1 ? REFLECT[g1] : g1;
    this.setEnabled(P0_BIT, this.currentGRP0 !== 0);
    this.setEnabled(P1_BIT, this.currentGRP1 !== 0);
  }

  private resetPlayer(player: 0 | 1, clock: number, lineClock: number): void {
    const newX = lineClock < HBLANK ? 3 : (lineClock - HBLANK + 5) % 160;
    const nusiz = player === 0 ? this.nusiz0 : this.nusiz1;
    const oldX = player === 0 ? this.posP0 : this.posP1;
    const when = PLAYER_RESET_WHEN[((nusiz & 7) * 160 + oldX) * 160 + newX];
    // Inside a copy being drawn: finish drawing it first (Stella's approximation: 11 clocks).
    if (when === 1) this.updateFrame(clock + 11);
    // Reset during a copy's start delay: all copies show on this line; otherwise the first is skipped.
    const mask = playerMask(newX, when === -1 ? 0 : 1, nusiz);
    if (player === 0) {
      this.posP0 = newX;
      this.p0Mask = mask;
    } else {
      this.posP1 = newX;
      this.p1Mask = mask;
    }
  }

  private applyHorizontalMotion(clock: number, lineClock: number): void {
    const cycle = lineClock / 3;
    if (this.hmoveBlanksAllowed && hmoveBlanks(cycle)) this.hmoveBlankEnabled = true;
    const row = cycle * 16;
    this.posP0 = wrap160(this.posP0 + MOTION[row + this.hmp0]);
    this.posP1 = wrap160(this.posP1 + MOTION[row + this.hmp1]);
    this.posM0 = wrap160(this.posM0 + MOTION[row + this.hmm0]);
    this.posM1 = wrap160(this.posM1 + MOTION[row + this.hmm1]);
    this.posBL = wrap160(this.posBL + MOTION[row + this.hmbl]);
    this.blMask = ballMask(this.posBL, this.ctrlpf);
    this.p0Mask = playerMask(this.posP0, 0, this.nusiz0);
    this.p1Mask = playerMask(this.posP1, 0, this.nusiz1);
    this.m0Mask = missileMask(this.posM0, this.nusiz0);
    this.m1Mask = missileMask(this.posM1, this.nusiz1);
    this.lastHmoveClock = clock;
    this.m0CosmicArkMotion = false;
  }

  saveState(): number[] {
    return [
      this.clockWhenFrameStarted,
      this.clockStartDisplay,
      this.clockStopDisplay,
      this.clockAtLastUpdate,
      this.clocksToEndOfScanLine,
      this.vsyncFinishClock,
      this.lastHmoveClock,
      this.framePointer,
      this.partialFrame ? 1 : 0,
      this.frameGreyed ? 1 : 0,
      this.scanlinesLastFrame,
      this.currentScanline,
      this.vsync,
      this.vblank,
      this.nusiz0,
      this.nusiz1,
      ...this.colour,
      this.ctrlpf,
      this.priorityAndScore,
      this.refp0 ? 1 : 0,
      this.refp1 ? 1 : 0,
      this.pf,
      this.grp0,
      this.grp1,
      this.dgrp0,
      this.dgrp1,
      this.enam0 ? 1 : 0,
      this.enam1 ? 1 : 0,
      this.enabl ? 1 : 0,
      this.denabl ? 1 : 0,
      this.hmp0,
      this.hmp1,
      this.hmm0,
      this.hmm1,
      this.hmbl,
      this.vdelp0 ? 1 : 0,
      this.vdelp1 ? 1 : 0,
      this.vdelbl ? 1 : 0,
      this.resmp0 ? 1 : 0,
      this.resmp1 ? 1 : 0,
      this.collision,
      this.posP0,
      this.posP1,
      this.posM0,
      this.posM1,
      this.posBL,
      this.enabledObjects,
      this.currentGRP0,
      this.currentGRP1,
      this.p0Mask,
      this.p1Mask,
      this.m0Mask,
      this.m1Mask,
      this.blMask,
      this.pfMask,
      this.hmoveBlankEnabled ? 1 : 0,
      this.m0CosmicArkMotion ? 1 : 0,
      this.m0CosmicArkCounter,
      this.dumpEnabled ? 1 : 0,
      this.dumpDisabledCycle,
    ];
  }

  loadState(s: readonly number[]): void {
    let k = 0;
    const next = () => s[k++];
    const flag = () => s[k++] === 1;
    this.clockWhenFrameStarted = next();
    this.clockStartDisplay = next();
    this.clockStopDisplay = next();
    this.clockAtLastUpdate = next();
    this.clocksToEndOfScanLine = next();
    this.vsyncFinishClock = next();
    this.lastHmoveClock = next();
    this.framePointer = next();
    this.partialFrame = flag();
    this.frameGreyed = flag();
    this.scanlinesLastFrame = next();
    this.currentScanline = next();
    this.vsync = next();
    this.vblank = next();
    this.nusiz0 = next();
    this.nusiz1 = next();
    for (let i = 0; i < 4; i++) this.colour[i] = next();
    this.ctrlpf = next();
    this.priorityAndScore = next();
    this.refp0 = flag();
    this.refp1 = flag();
    this.pf = next();
    this.grp0 = next();
    this.grp1 = next();
    this.dgrp0 = next();
    this.dgrp1 = next();
    this.enam0 = flag();
    this.enam1 = flag();
    this.enabl = flag();
    this.denabl = flag();
    this.hmp0 = next();
    this.hmp1 = next();
    this.hmm0 = next();
    this.hmm1 = next();
    this.hmbl = next();
    this.vdelp0 = flag();
    this.vdelp1 = flag();
    this.vdelbl = flag();
    this.resmp0 = flag();
    this.resmp1 = flag();
    this.collision = next();
    this.posP0 = next();
    this.posP1 = next();
    this.posM0 = next();
    this.posM1 = next();
    this.posBL = next();
    this.enabledObjects = next();
    this.currentGRP0 = next();
    this.currentGRP1 = next();
    this.p0Mask = next();
    this.p1Mask = next();
    this.m0Mask = next();
    this.m1Mask = next();
    this.blMask = next();
    this.pfMask = next();
    this.hmoveBlankEnabled = flag();
    this.m0CosmicArkMotion = flag();
    this.m0CosmicArkCounter = next();
    this.dumpEnabled = flag();
    this.dumpDisabledCycle = next();
  }

  /** Both frame buffers, for cloneState (the screen after a restore is the screen at the clone). */
  saveFrameBuffers(): Uint8Array[] {
    return [this.frameBuffer.slice(), this.previousFrameBuffer.slice()];
  }

  loadFrameBuffers(buffers: readonly Uint8Array[]): void {
    this.frameBuffer.set(buffers[0]);
    this.previousFrameBuffer.set(buffers[1]);
  }
}

function wrap160(position: number): number {
  return position >= 160 ? position - 160 : position < 0 ? position + 160 : position;
}

/** Offset such that PLAYER_MASK[offset + x] is the GRP bit player at `position` shows at pixel x. */
function playerMask(position: number, skipFirstCopy: number, nusiz: number): number {
  return (((position & 3) * 2 + skipFirstCopy) * 8 + (nusiz & 7)) * 320 + 160 - (position & 0xfc);
}

function missileMask(position: number, nusiz: number): number {
  return (((position & 3) * 8 + (nusiz & 7)) * 4 + ((nusiz & 0x30) >> 4)) * 320 + 160 - (position & 0xfc);
}

function ballMask(position: number, ctrlpf: number): number {
  return ((position & 3) * 4 + ((ctrlpf & 0x30) >> 4)) * 320 + 160 - (position & 0xfc);
}

/** Where RESMPx puts a missile relative to its player: the player's centre. */
function missileCentre(nusiz: number): number {
  const mode = nusiz & 7;
  return mode === 5 ? 8 : mode === 7 ? 16 : 4;
}
