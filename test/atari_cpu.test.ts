/**
 * The 6507 and the cartridge on their own, no ROM needed: small programs in a made-up 4K cartridge
 * on the real console bus. Expected values come from the 6502's documented behaviour (flags,
 * decimal arithmetic, cycle counts) and the bank-switching schemes' hotspots.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { interpreterDigest } from "../scripts/build-cpu.js";
import { Cartridge } from "../src/envs/atari/cartridge.js";
import { AtariConsole, DEFAULT_PROPERTIES } from "../src/envs/atari/console.js";
import { INSTRUCTIONS } from "../src/envs/atari/cpu_instructions.js";
import { MT19937 } from "../src/envs/atari/mt19937.js";

const N = 0x80;
const V = 0x40;
const D = 0x08;
const Z = 0x02;
const C = 0x01;
/** Status bits the 6507 always reads as 1 (unused and B). */
const ALWAYS = 0x30;

/** A console running `program` from $F000 of an otherwise NOP-filled 4K cartridge. */
function consoleWith(program: number[], data: Record<number, number> = {}): AtariConsole {
  const image = new Uint8Array(4096).fill(0xea);
  image.set(program, 0);
  for (const [address, value] of Object.entries(data)) image[Number(address) & 0xfff] = value;
  image[0xffc] = 0x00;
  image[0xffd] = 0xf0;
  const console = new AtariConsole(new Cartridge(image), DEFAULT_PROPERTIES, new MT19937(1));
  console.systemReset();
  return console;
}

/** Runs one instruction; returns the cycles it took. */
function step(console: AtariConsole): number {
  const before = console.cycles;
  console.cpu.execute(1);
  return console.cycles - before;
}

/** Runs `count` instructions; returns the cycles of each. */
function steps(console: AtariConsole, count: number): number[] {
  return Array.from({ length: count }, () => step(console));
}

describe("6507: loads, flags and arithmetic", () => {
  it("sets N and Z from loads and transfers", () => {
    const c = consoleWith([0xa9, 0x00, 0xa2, 0x80, 0x8a, 0xa0, 0x7f]); // LDA #0; LDX #$80; TXA; LDY #$7F
    step(c);
    expect(c.cpu.status() & (N | Z)).toBe(Z);
    step(c);
    step(c);
    expect([c.cpu.a, c.cpu.status() & (N | Z)]).toEqual([0x80, N]);
    step(c);
    expect(c.cpu.status() & (N | Z)).toBe(0);
  });

  it("ADC in binary sets carry, overflow, negative and zero", () => {
    const cases: [number, number, number, number, number][] = [
      // a, operand, carry in -> result, flags (N V Z C)
      [0x50, 0x50, 0, 0xa0, N | V],
      [0xff, 0x01, 0, 0x00, Z | C],
      [0x80, 0x80, 0, 0x00, V | Z | C],
      [0x01, 0x01, 1, 0x03, 0],
      [0xd0, 0x90, 0, 0x60, V | C],
    ];
    for (const [a, operand, carry, result, flags] of cases) {
      const c = consoleWith([carry ? 0x38 : 0x18, 0xa9, a, 0x69, operand]); // SEC/CLC; LDA #a; ADC #op
      steps(c, 3);
      expect([c.cpu.a, c.cpu.status() & (N | V | Z | C)], `${a} + ${operand} + ${carry}`).toEqual([
        result,
        flags,
      ]);
    }
  });

  it("SBC in binary borrows through the carry", () => {
    const c = consoleWith([0x38, 0xa9, 0x50, 0xe9, 0xf0, 0x18, 0xa9, 0x00, 0xe9, 0x00]);
    steps(c, 3); // SEC; LDA #$50; SBC #$F0 = $60, borrow
    expect([c.cpu.a, c.cpu.status() & (N | V | Z | C)]).toEqual([0x60, 0]);
    steps(c, 3); // CLC; LDA #0; SBC #0 = $FF, borrow
    expect([c.cpu.a, c.cpu.status() & (N | V | Z | C)]).toEqual([0xff, N]);
  });

  it("ADC and SBC in decimal mode work on BCD digits", () => {
    /** SED; SEC or CLC; LDA #a; then `opcode` #b: A and the carry after. */
    const decimal = (opcode: number, a: number, b: number, carry: number) => {
      const c = consoleWith([0xf8, carry ? 0x38 : 0x18, 0xa9, a, opcode, b]);
      steps(c, 4);
      return [c.cpu.a, c.cpu.status() & C];
    };
    const adc = (a: number, b: number, carry: number) => decimal(0x69, a, b, carry);
    const sbc = (a: number, b: number, carry: number) => decimal(0xe9, a, b, carry);
    expect(adc(0x09, 0x01, 0)).toEqual([0x10, 0]);
    expect(adc(0x45, 0x38, 1)).toEqual([0x84, 0]);
    expect(adc(0x99, 0x01, 0)).toEqual([0x00, 1]);
    expect(adc(0x50, 0x50, 0)).toEqual([0x00, 1]);
    expect(sbc(0x10, 0x01, 1)).toEqual([0x09, 1]);
    expect(sbc(0x42, 0x17, 1)).toEqual([0x25, 1]);
    expect(sbc(0x00, 0x01, 1)).toEqual([0x99, 0]);
    expect(sbc(0x20, 0x05, 0)).toEqual([0x14, 1]);
    // The decimal flag is visible in the status byte and cleared by CLD.
    const c = consoleWith([0xf8, 0x08, 0xd8]); // SED; PHP; CLD
    steps(c, 2);
    expect(c.riot.ram[0x7f] & D).toBe(D);
    step(c);
    expect(c.cpu.status() & D).toBe(0);
  });

  it("CMP, BIT and the shifts set flags as the 6502 does", () => {
    const c = consoleWith([
      0xa9,
      0x40,
      0xc9,
      0x40, // LDA #$40; CMP #$40: Z C
      0xc9,
      0x41, // CMP #$41: N (0xFF), no carry
      0x85,
      0x80,
      0xa9,
      0x01,
      0x24,
      0x80, // STA $80 ($40); LDA #1; BIT $80: Z (1 & $40 = 0), V
      0x0a, // ASL A: 2
      0xa9,
      0x81,
      0x4a, // LDA #$81; LSR A: $40, C
      0x6a, // ROR A: $A0, no carry
    ]);
    steps(c, 2);
    expect(c.cpu.status() & (N | Z | C)).toBe(Z | C);
    step(c);
    expect(c.cpu.status() & (N | Z | C)).toBe(N);
    steps(c, 3);
    expect(c.cpu.status() & (N | V | Z)).toBe(V | Z);
    step(c);
    expect(c.cpu.a).toBe(2);
    steps(c, 2);
    expect([c.cpu.a, c.cpu.status() & C]).toEqual([0x40, C]);
    step(c);
    expect([c.cpu.a, c.cpu.status() & (N | C)]).toEqual([0xa0, N]);
  });

  it("PHP pushes B and the unused bit set; PLP restores the flags", () => {
    const c = consoleWith([0xa9, 0x00, 0x38, 0x08, 0xa9, 0xff, 0x18, 0x28]); // LDA #0; SEC; PHP; LDA #$FF; CLC; PLP
    steps(c, 3);
    expect(c.riot.ram[0x7f]).toBe(ALWAYS | Z | C);
    expect(c.cpu.sp).toBe(0xfe);
    steps(c, 3);
    expect(c.cpu.status() & (N | Z | C)).toBe(Z | C);
    expect(c.cpu.sp).toBe(0xff);
  });
});

describe("6507: cycle counts", () => {
  it("adds a cycle when an indexed read crosses a page, never for stores", () => {
    const c = consoleWith(
      [
        0xa2,
        0x00,
        0xbd,
        0xff,
        0xf0, // LDX #0; LDA $F0FF,X: 4
        0xa2,
        0x01,
        0xbd,
        0xff,
        0xf0, // LDX #1; LDA $F0FF,X: 5 (crosses into $F100)
        0xa0,
        0x01,
        0xb9,
        0xfe,
        0xf0, // LDY #1; LDA $F0FE,Y: 4
        0x9d,
        0x7f,
        0x00, // STA $007F,X: 5 either way
        0xa9,
        0xff,
        0x85,
        0x80,
        0xa9,
        0xf0,
        0x85,
        0x81, // pointer $F0FF at $80
        0xb1,
        0x80, // LDA ($80),Y: 6 (crosses)
        0xa0,
        0x00,
        0xb1,
        0x80, // LDY #0; LDA ($80),Y: 5
      ],
      { 61696: 0x42, 61695: 0x24 },
    );
    expect(steps(c, 2)).toEqual([2, 4]);
    expect(steps(c, 2)).toEqual([2, 5]);
    expect(c.cpu.a).toBe(0x42);
    expect(steps(c, 2)).toEqual([2, 4]);
    expect(step(c)).toBe(5);
    expect(c.riot.ram[0]).toBe(0x24);
    steps(c, 4);
    expect(step(c)).toBe(6);
    expect(c.cpu.a).toBe(0x42);
    expect(steps(c, 2)).toEqual([2, 5]);
    expect(c.cpu.a).toBe(0x24);
  });

  it("counts branches: 2 not taken, 3 taken, 4 taken into another page", () => {
    const program = [0xa9, 0x01, 0xf0, 0x10, 0xd0, 0x02]; // LDA #1; BEQ +16 (not taken); BNE +2
    const c = consoleWith(program, { 61448: 0xd0, 61449: 0x7f }); // at $F008: BNE +127 -> $F089
    expect(steps(c, 4)).toEqual([2, 2, 3, 3]);
    expect(c.cpu.pc).toBe(0xf089);
    const far = consoleWith([0xa9, 0x01], {
      61442: 0x4c,
      61443: 0xf0,
      61444: 0xf0,
      61680: 0xd0,
      61681: 0x20,
    });
    steps(far, 2); // LDA #1; JMP $F0F0
    expect(step(far)).toBe(4); // BNE +32 from $F0F2 -> $F112
    expect(far.cpu.pc).toBe(0xf112);
  });

  it("counts JSR/RTS, read-modify-write and implied instructions", () => {
    const c = consoleWith([0x20, 0x10, 0xf0, 0xe6, 0x80, 0xee, 0x81, 0x00, 0xe8], { 61456: 0x60 });
    expect(steps(c, 2)).toEqual([6, 6]); // JSR; RTS
    expect(c.cpu.pc).toBe(0xf003);
    expect(steps(c, 3)).toEqual([5, 6, 2]); // INC $80; INC $0081; INX
  });

  it("runs the interpreter generated from the instruction table as it is (else: npm run build:cpu)", () => {
    const generated = readFileSync(
      new URL("../src/envs/atari/build/cpu_interpreter.ts", import.meta.url),
      "utf8",
    );
    expect(generated.slice(0, generated.indexOf("\n"))).toContain(`(digest ${interpreterDigest()})`);
  });

  it("takes the cycles the instruction table gives every opcode (no page crossed, no branch taken)", () => {
    for (const { opcode, name, mode, cycles } of INSTRUCTIONS) {
      // Operands at $80 (RAM), X = Y = 0; the pointers at $80 lead to $0090 (RAM).
      const c = consoleWith([opcode, 0x80, 0x00]);
      c.riot.ram.set([0x90, 0x00], 0);
      // A branch is not taken with every flag set when it branches on a clear flag, and the reverse.
      if (mode === "rel") c.cpu.setStatus(opcode & 0x20 ? 0 : 0xff);
      expect(step(c), `${name} ${mode} (${opcode.toString(16)})`).toBe(cycles);
    }
  });

  it("halts WSYNC writes until the end of the line", () => {
    const c = consoleWith([0x85, 0x02, 0x85, 0x02]); // STA WSYNC twice
    step(c);
    expect(c.cycles % 76).toBe(0);
    step(c);
    expect(c.cycles).toBe(152);
  });
});

describe("6507: undocumented opcodes the games rely on", () => {
  it("LAX loads A and X; SAX stores A & X", () => {
    const c = consoleWith([0xa9, 0x9c, 0x85, 0x80, 0xa7, 0x80, 0xa9, 0x0f, 0x87, 0x81]);
    steps(c, 3); // LDA #$9C; STA $80; LAX $80
    expect([c.cpu.a, c.cpu.x, c.cpu.status() & N]).toEqual([0x9c, 0x9c, N]);
    steps(c, 2); // LDA #$0F; SAX $81
    expect(c.riot.ram[1]).toBe(0x0c);
  });

  it("DCP decrements then compares; ISB increments then subtracts; SLO shifts then ORs", () => {
    const c = consoleWith([
      0xa9,
      0x05,
      0x85,
      0x80,
      0xc7,
      0x80, // LDA #5; STA $80; DCP $80 -> $04, A > M: C
      0x38,
      0xa9,
      0x10,
      0xe7,
      0x80, // SEC; LDA #$10; ISB $80 -> $05, A = $0B
      0xa9,
      0x01,
      0x07,
      0x80, // LDA #1; SLO $80 -> $0A, A = $0B
    ]);
    expect(steps(c, 3)).toEqual([2, 3, 5]);
    expect([c.riot.ram[0], c.cpu.status() & (Z | C)]).toEqual([0x04, C]);
    steps(c, 3);
    expect([c.riot.ram[0], c.cpu.a, c.cpu.status() & C]).toEqual([0x05, 0x0b, C]);
    steps(c, 2);
    expect([c.riot.ram[0], c.cpu.a, c.cpu.status() & C]).toEqual([0x0a, 0x0b, 0]);
  });

  it("the immediate ones: ANC, ASR, ARR, ANE, LXA, SBX", () => {
    /** LDX #x; LDA #a; then `opcode` #operand with the carry clear: A, X and the flags N, V, Z, C after. */
    const run = (opcode: number, a: number, x: number, operand: number) => {
      const c = consoleWith([0xa2, x, 0xa9, a, 0x18, opcode, operand]);
      steps(c, 4);
      return [c.cpu.a, c.cpu.x, c.cpu.status() & (N | V | Z | C)];
    };
    expect(run(0x0b, 0xf0, 0, 0x81)).toEqual([0x80, 0, N | C]); // ANC: AND, C = N
    expect(run(0x4b, 0x0f, 0, 0x05)).toEqual([0x02, 0, C]); // ASR: AND then LSR A
    expect(run(0x6b, 0xc0, 0, 0xff)).toEqual([0x60, 0, C]); // ARR: AND then ROR A; C = bit 6, V = bit 6 ^ bit 5
    expect(run(0x8b, 0x01, 0x3c, 0xff)).toEqual([0x2c, 0x3c, 0]); // ANE: (A | $EE) & X & #
    expect(run(0xab, 0x01, 0x00, 0x3f)).toEqual([0x2f, 0x2f, 0]); // LXA: A = X = (A | $EE) & #
    expect(run(0xcb, 0xf0, 0x3c, 0x10)).toEqual([0xf0, 0x20, C]); // SBX: X = (A & X) - #, no borrow
    expect(run(0xcb, 0xf0, 0x3c, 0x40)).toEqual([0xf0, 0xf0, N]); // SBX, borrowing
  });

  it("the reading NOPs take their cycles and change nothing", () => {
    const c = consoleWith([0xa9, 0x33, 0x04, 0x80, 0x0c, 0x00, 0xf0, 0x80, 0x00]); // NOP zp; NOP abs; NOP #
    step(c);
    expect(steps(c, 3)).toEqual([3, 4, 2]);
    expect([c.cpu.a, c.cpu.pc]).toEqual([0x33, 0xf009]);
  });
});

describe("Cartridges: bank switching", () => {
  /** A ROM of `banks` 4K banks, each byte holding its bank number. */
  const banked = (banks: number) => {
    const image = new Uint8Array(banks * 4096);
    for (let bank = 0; bank < banks; bank++) image.fill(bank, bank * 4096, (bank + 1) * 4096);
    return image;
  };

  it("recognises the schemes by size and starts F8 in bank 1, F6 and F4 in bank 0", () => {
    expect(new Cartridge(new Uint8Array(2048)).type).toBe("2K");
    expect(new Cartridge(new Uint8Array(4096)).type).toBe("4K");
    expect(new Cartridge(banked(2)).peek(0x000)).toBe(1);
    expect(new Cartridge(banked(4)).type).toBe("F6");
    expect(new Cartridge(banked(4)).peek(0x000)).toBe(0);
    expect(new Cartridge(banked(8)).peek(0x000)).toBe(0);
    expect(() => new Cartridge(new Uint8Array(3000))).toThrow(/unsupported cartridge: 3000 bytes/);
  });

  it("switches on a read or a write of each hotspot, and not elsewhere", () => {
    for (const [banks, first] of [
      [2, 0xff8],
      [4, 0xff6],
      [8, 0xff4],
    ]) {
      const cart = new Cartridge(banked(banks));
      for (let bank = banks - 1; bank >= 0; bank--) {
        // A read of a hotspot already returns the new bank's byte.
        expect(cart.peek(first + bank), `read hotspot of bank ${bank}/${banks}`).toBe(bank);
        expect(cart.peek(0x123)).toBe(bank);
      }
      for (let bank = 0; bank < banks; bank++) {
        cart.poke(first + bank);
        expect(cart.peek(0x456), `write hotspot of bank ${bank}/${banks}`).toBe(bank);
      }
      cart.peek(first - 1);
      cart.poke(0xffc);
      expect(cart.peek(0x000)).toBe(banks - 1);
      cart.reset();
      expect(cart.peek(0x000)).toBe(banks === 2 ? 1 : 0);
    }
  });

  it("mirrors a 2K ROM in both halves of the window and ignores writes to 2K/4K ROMs", () => {
    const image = new Uint8Array(2048).map((_, i) => (i * 7) & 0xff);
    const cart = new Cartridge(image);
    expect([cart.peek(0x123), cart.peek(0x923)]).toEqual([image[0x123], image[0x123]]);
    cart.poke(0xff8);
    expect(cart.peek(0xff9)).toBe(image[0x7f9]);
  });

  it("switches banks under the CPU: code runs on in the newly selected bank", () => {
    const image = new Uint8Array(8192).fill(0xea);
    // Bank 1 (the start bank): LDA $1FF8 switches to bank 0, whose next instruction is LDX #$0B.
    image.set([0xad, 0xf8, 0x1f], 4096);
    image.set([0xa2, 0x0b], 3);
    image[4096 + 0xffc] = 0x00;
    image[4096 + 0xffd] = 0xf0;
    const console = new AtariConsole(new Cartridge(image), DEFAULT_PROPERTIES, new MT19937(1));
    console.systemReset();
    console.cpu.execute(2);
    expect(console.cpu.x).toBe(0x0b);
    expect(console.cartridge.bankOffset).toBe(0);
  });
});
