/**
 * The recompiler (src/envs/atari/recompiler.ts) against the interpreter: the same console with and
 * without compiled regions must agree on everything, cycle for cycle. Small programs in made-up
 * cartridges need no ROM; the supported games (ROMs from PPO_TS_ROM_DIR or ../shared/roms) are
 * skipped, saying so, when no ROM folder exists.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ALEInterface } from "../src/envs/atari/ale_interface.js";
import { Cartridge } from "../src/envs/atari/cartridge.js";
import { AtariConsole, DEFAULT_PROPERTIES } from "../src/envs/atari/console.js";
import { INSTRUCTIONS } from "../src/envs/atari/cpu_instructions.js";
import { GAMES } from "../src/envs/atari/games/index.js";
import { MT19937 } from "../src/envs/atari/mt19937.js";
import type { Recompiler } from "../src/envs/atari/recompiler.js";
import { ROM_DIR_VARIABLE } from "../src/envs/atari/roms.js";
import { hasShared, sharedPath } from "./helpers/shared.js";
import { missingRoms, skipping } from "./helpers/skip.js";

const romDir: string | undefined =
  process.env[ROM_DIR_VARIABLE] ?? (hasShared("roms/breakout.bin") ? sharedPath("roms") : undefined);

/** The console's recompiler (to see that it did work). */
function recompilerOf(console: AtariConsole): Recompiler {
  return console.cpu.recompiler as Recompiler;
}

/** The first index where the arrays differ, -1 when equal (cheaper than a deep equality per frame). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Instructions the console ran in compiled regions. */
function compiledRun(console: AtariConsole): number {
  return recompilerOf(console).instructionsRun;
}

/** Two consoles on `image` (a ROM whose reset vector points at its program), one interpreting only. */
function pair(image: Uint8Array): [AtariConsole, AtariConsole] {
  const make = (recompile: boolean) => {
    const console = new AtariConsole(new Cartridge(image), DEFAULT_PROPERTIES, new MT19937(1), recompile);
    console.systemReset();
    return console;
  };
  return [make(false), make(true)];
}

/** Runs both consoles `calls` times for `instructions` each; their whole states must stay equal. */
function expectSameRuns(image: Uint8Array, calls: number, instructions: number): AtariConsole {
  const [interpreted, compiled] = pair(image);
  for (let call = 0; call < calls; call++) {
    interpreted.cpu.execute(instructions);
    compiled.cpu.execute(instructions);
    expect(compiled.saveState(), `after call ${call}`).toEqual(interpreted.saveState());
  }
  return compiled;
}

/** Runs both consoles `frames` frames; their whole states must stay equal. */
function expectSameFrames(image: Uint8Array, frames: number): AtariConsole {
  const [interpreted, compiled] = pair(image);
  for (let frame = 0; frame < frames; frame++) {
    interpreted.runFrame();
    compiled.runFrame();
    expect(compiled.saveState(), `after frame ${frame}`).toEqual(interpreted.saveState());
  }
  return compiled;
}

/** A 4K image: `program` at $F000, the reset vector pointing at it, NOPs elsewhere. */
function image4k(program: number[]): Uint8Array {
  const image = new Uint8Array(4096).fill(0xea);
  image.set(program, 0);
  image[0xffc] = 0x00;
  image[0xffd] = 0xf0;
  return image;
}

describe("recompiled code runs as the interpreter does (no ROM needed)", () => {
  // A display-kernel-like loop: TIA writes (WSYNC halts the CPU), RAM, (zp),Y from a ROM table,
  // an indexed read that crosses pages, stores at computed addresses, branches both ways, PHP onto
  // ENABL (the stack pointed at the TIA), decimal ADC, then JMP back.
  // biome-ignore format: one instruction (or two) per line, with its address
  const kernel = [
    0xa9, 0x00, 0x85, 0x90, // $F000 LDA #0; STA $90 (pointer low)
    0xa9, 0xf1, 0x85, 0x91, // $F004 LDA #$F1; STA $91 (pointer high: table at $F100)
    0xa2, 0x20, //             $F008 LDX #$20
    0x85, 0x02, //             $F00A loop: STA WSYNC
    0x8a, 0xa8, //             $F00C TXA; TAY
    0xb1, 0x90, //             $F00E LDA ($90),Y
    0x85, 0x0d, //             $F010 STA PF0
    0xa2, 0x1f, 0x9a, //       $F012 LDX #$1F; TXS
    0xc0, 0x10, 0x08, //       $F015 CPY #$10; PHP (writes ENABL)
    0xa2, 0xff, 0x9a, //       $F018 LDX #$FF; TXS
    0xf8, 0x69, 0x19, 0xd8, // $F01B SED; ADC #$19; CLD
    0xe6, 0x92, //             $F01F INC $92
    0xa6, 0x92, //             $F021 LDX $92
    0xbd, 0xf0, 0xf1, //       $F023 LDA $F1F0,X (crosses into $F200 from X = $10)
    0x95, 0x10, //             $F026 STA $10,X (a TIA register by X)
    0x9d, 0x80, 0x00, //       $F028 STA $0080,X (RAM)
    0xe0, 0x20, //             $F02B CPX #$20
    0x90, 0x04, //             $F02D BCC $F033
    0xa9, 0x00, 0x85, 0x92, // $F02F LDA #0; STA $92
    0xca, //                   $F033 DEX
    0xd0, 0xd4, //             $F034 BNE loop
    0x4c, 0x00, 0xf0, //       $F036 JMP $F000
  ];

  it("a kernel-like loop: the same registers, RAM, TIA and cycles after every call and every frame", () => {
    const image = image4k(kernel);
    for (let i = 0; i < 256; i++) image[0x100 + i] = (i * 37) & 0xff;
    expectSameRuns(image, 200, 97);
    const compiled = expectSameFrames(image, 20);
    // Without VSYNC a frame ends after 291 scanlines, each a pass of 23-25 instructions through the
    // loop (WSYNC waits for the next line): nearly all of them ran compiled.
    expect(compiledRun(compiled) / 20).toBeGreaterThan(5000);
  });

  it("stops at exactly the instruction limit, whatever the limit", () => {
    const image = image4k(kernel);
    for (const instructions of [1, 7, 31, 37, 41, 43, 47, 53, 59]) {
      const compiled = expectSameRuns(image, 300, instructions);
      if (instructions > 31) expect(compiledRun(compiled), `limit ${instructions}`).toBeGreaterThan(0);
    }
  });

  it("subroutines and the stack: JSR and RTS inside a region, PHP, PHA, PLA, PLP", () => {
    // biome-ignore format: one instruction (or two) per line, with its address
    const program = [
      0xa2, 0xff, 0x9a, //       $F000 LDX #$FF; TXS
      0x20, 0x10, 0xf0, //       $F003 loop: JSR $F010
      0xe6, 0x80, //             $F006 INC $80
      0xa5, 0x80, 0xd0, 0xf7, // $F008 LDA $80; BNE loop
      0x4c, 0x00, 0xf0, //       $F00C JMP $F000
      0xea, //                   $F00F NOP
      0x08, 0x48, //             $F010 PHP; PHA
      0xa5, 0x80, 0x85, 0x09, // $F012 LDA $80; STA COLUBK
      0x68, 0x28, //             $F016 PLA; PLP
      0x85, 0x02, //             $F018 STA WSYNC
      0x60, //                   $F01A RTS
    ];
    for (const instructions of [1, 13, 29, 31, 97]) expectSameRuns(image4k(program), 300, instructions);
    const compiled = expectSameFrames(image4k(program), 10);
    // 12 instructions a scanline (one WSYNC each), 291 scanlines a frame without VSYNC.
    expect(compiledRun(compiled) / 10).toBeGreaterThan(3000);
  });

  it("every instruction of the table compiles, and runs as interpreted", () => {
    // Each opcode but the jams and RTS, one after the other, in a loop: operands in RAM ($90-$EF),
    // the pointers at $80 leading to RAM, branches to the next instruction either way, JSR to an
    // RTS, BRK to an RTI, the stack pointer set back after the instructions that move it.
    const program = [0xa9, 0xa0, 0x85, 0x80, 0xa9, 0x00, 0x85, 0x81]; // LDA #$A0; STA $80; LDA #0; STA $81
    const loop = 0xf000 + program.length;
    const starts: number[] = [];
    for (const { opcode, name, mode } of INSTRUCTIONS) {
      if (name === "JAM" || name === "RTS") continue;
      if (name === "JMP (indirect)") {
        const after = 0xf000 + program.length + 11; // LDA #; STA $82; LDA #; STA $83; JMP ($0082)
        program.push(0xa9, after & 0xff, 0x85, 0x82, 0xa9, after >> 8, 0x85, 0x83);
      }
      starts.push(0xf000 + program.length);
      const operand = 0x90 + (opcode % 0x60);
      const next = 0xf000 + program.length + 3;
      if (name === "JSR" || name === "JMP") program.push(opcode, name === "JSR" ? 0xfe : next & 0xff, 0xf0);
      else if (name === "JMP (indirect)")
        program.push(0xa9, next & 0xff, 0x85, 0x82, 0xa9, next >> 8, 0x85, 0x83, opcode, 0x82, 0x00);
      else if (mode === "abs" || mode === "absx" || mode === "absy") program.push(opcode, operand, 0x00);
      else if (mode === "izx" || mode === "izy") program.push(opcode, 0x80);
      else if (mode === "rel") program.push(opcode, 0x00);
      else if (mode !== "imp") program.push(opcode, operand);
      else program.push(opcode);
      if (name === "TXS" || name === "LAS" || name === "SHS") program.push(0xa2, 0xff, 0x9a); // LDX #$FF; TXS
    }
    program.push(0x4c, loop & 0xff, loop >> 8); // JMP loop
    const image = image4k(program);
    image[0xefe] = 0x60; // $FEFE: RTS
    image[0xeff] = 0x40; // $FEFF: RTI, where BRK's vector points
    image[0xffe] = 0xff;
    image[0xfff] = 0xfe;
    const compiled = expectSameRuns(image, 100, 997);
    const { labels } = recompilerOf(compiled);
    expect(starts.filter((pc) => labels[pc & 0xfff] !== pc).map((pc) => pc.toString(16))).toEqual([]);
  });

  it("leaves a region when an indexed read switches banks (F8)", () => {
    // Bank 1 (where F8 starts) reads $1FF8,X with X = 0 (the bank-0 hotspot); bank 0 has a
    // different program at the same addresses, which reads $1FF9 back to bank 1.
    const image = new Uint8Array(8192).fill(0xea);
    const bank1 = [0xe8, 0xe8, 0xa2, 0x00, 0xbd, 0xf8, 0xff, 0xc8, 0xc8, 0x4c, 0x00, 0xf0];
    const bank0 = [0x88, 0x88, 0xa2, 0x01, 0xbd, 0xf8, 0xff, 0xe8, 0xe8, 0x4c, 0x00, 0xf0];
    image.set(bank0, 0);
    image.set(bank1, 4096);
    for (const bank of [0, 4096]) {
      image[bank + 0xffc] = 0x00;
      image[bank + 0xffd] = 0xf0;
    }
    const compiled = expectSameRuns(image, 100, 37);
    expect(compiledRun(compiled)).toBeGreaterThan(100 * 37 * 0.5);
  });
});

describe.skipIf(skipping("the recompiler on the real games", missingRoms(romDir)))(
  "recompiled code runs every supported game as the interpreter does",
  () => {
    for (const game of GAMES) {
      it(`${game.name}: 1,500 frames of random play, sticky actions: the same rewards, RAM and screen on every frame`, () => {
        const rom = new Uint8Array(readFileSync(join(romDir as string, `${game.name}.bin`)));
        const make = (recompile: boolean) => {
          const ale = new ALEInterface();
          ale.setInt("random_seed", 7);
          ale.setBool("recompile", recompile);
          ale.loadROM(rom);
          return ale;
        };
        const interpreted = make(false);
        const compiled = make(true);
        const actions = compiled.getMinimalActionSet();
        let x = 12345;
        for (let frame = 0; frame < 1500; frame++) {
          x = (Math.imul(1103515245, x) + 12345) & 0x7fffffff;
          const action = actions[(x >>> 16) % actions.length];
          const label = `frame ${frame}`;
          expect(compiled.act(action), label).toBe(interpreted.act(action));
          expect(firstDifference(compiled.getRAM(), interpreted.getRAM()), `${label}: RAM byte`).toBe(-1);
          expect(firstDifference(compiled.getScreen(), interpreted.getScreen()), `${label}: pixel`).toBe(-1);
          expect(compiled.lives(), label).toBe(interpreted.lives());
          if (interpreted.gameOver()) {
            interpreted.resetGame();
            compiled.resetGame();
          }
        }
        const atari = (compiled as unknown as { console: AtariConsole }).console;
        // Each game runs 4,000-7,000 instructions a frame; most of them ran compiled.
        expect(compiledRun(atari) / 1500).toBeGreaterThan(2500);
      });
    }
  },
);
