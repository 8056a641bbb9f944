/**
 * The 6507 CPU of the Atari 2600: a 6502 with 13 address lines and no interrupts wired.
 *
 * Every bus access is a real `peek`/`poke` on the bus, one machine cycle each, in the order the chip
 * makes them (dummy reads included), so cycle counts come out exact: +1 when an indexed read crosses a
 * page, +1 for a taken branch and +1 more when it lands on another page. The TIA sees each write at
 * the cycle it happens. Undocumented opcodes behave as in Stella 2.x, which ALE 0.12.1 embeds;
 * decimal mode follows its table-based BCD arithmetic too. The jam opcodes halt the CPU.
 */

/**
 * What the CPU needs from the bus: one cycle per access. Besides `peek`/`poke`, which decode the
 * address, the CPU reads cartridge ROM and zero-page RAM directly (most accesses are instruction
 * fetches and zero-page variables), keeping the bus's cycle count and data-bus latch as `peek` would.
 */
export interface CpuBus {
  cycles: number;
  dataBus: number;
  lastAccessWasRead: boolean;
  peek(address: number): number;
  poke(address: number, value: number): void;
}

const FLAG_N = 0x80;
const FLAG_V = 0x40;
const FLAG_UNUSED = 0x20;
const FLAG_B = 0x10;
const FLAG_D = 0x08;
const FLAG_I = 0x04;
const FLAG_Z = 0x02;
const FLAG_C = 0x01;

/** BCD digits -> binary (row 0) and binary -> BCD (row 1), laid out as one array like Stella's. */
const BCD = new Uint8Array(512);
for (let t = 0; t < 256; t++) {
  BCD[t] = (t >> 4) * 10 + (t & 0x0f);
  BCD[256 + t] = ((((t % 100) / 10) | 0) << 4) | (t % 10);
}

import type { Cartridge } from "./cartridge.js";

export class Cpu6507 {
  a = 0;
  x = 0;
  y = 0;
  sp = 0xff;
  pc = 0;
  /** Flags kept apart for speed: N holds bit 7, notZ is zero exactly when Z is set. */
  n = 0;
  v = false;
  d = false;
  i = false;
  notZ = 1;
  c = 0;
  /** Set by the TIA to end the frame after the current instruction. */
  stopRequested = false;
  /** A jam opcode was executed; the CPU does nothing until the next reset. */
  halted = false;
  /** Address of a read-modify-write instruction's operand. */
  private rmwAddress = 0;

  constructor(
    private readonly bus: CpuBus,
    private readonly cartridge: Cartridge,
    private readonly ram: Uint8Array,
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
    return (
      this.n |
      (this.v ? FLAG_V : 0) |
      FLAG_UNUSED |
      FLAG_B | // the 6507's B flag always reads 1
      (this.d ? FLAG_D : 0) |
      (this.i ? FLAG_I : 0) |
      (this.notZ === 0 ? FLAG_Z : 0) |
      this.c
    );
  }

  setStatus(ps: number): void {
    this.n = ps & FLAG_N;
    this.v = (ps & FLAG_V) !== 0;
    this.d = (ps & FLAG_D) !== 0;
    this.i = (ps & FLAG_I) !== 0;
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

  // ---- addressing modes (each access is one cycle) ----

  /** The byte at PC, PC + 1: straight from ROM unless it is a bank-switching hotspot. */
  private imm(): number {
    const pc = this.pc;
    this.pc = (pc + 1) & 0xffff;
    const cartridge = this.cartridge;
    const offset = pc & 0xfff;
    if (pc & 0x1000 && offset < cartridge.firstHotspot) {
      const bus = this.bus;
      bus.cycles++;
      const v = cartridge.rom[cartridge.bankOffset + (offset & cartridge.addressMask)];
      bus.dataBus = v;
      bus.lastAccessWasRead = true;
      return v;
    }
    return this.bus.peek(pc);
  }
  private addrZp(): number {
    return this.imm();
  }
  private addrZpx(): number {
    const base = this.imm();
    this.bus.peek(base);
    return (base + this.x) & 0xff;
  }
  private addrZpy(): number {
    const base = this.imm();
    this.bus.peek(base);
    return (base + this.y) & 0xff;
  }
  private addrAbs(): number {
    const low = this.imm();
    return low | (this.imm() << 8);
  }
  /** Indexed absolute address for writes and read-modify-writes: always reads the unfixed address. */
  private addrAbsIndexed(index: number): number {
    const low = this.imm();
    const high = this.imm() << 8;
    this.bus.peek(high | ((low + index) & 0xff));
    return ((high | low) + index) & 0xffff;
  }
  private addrIndx(): number {
    let pointer = this.imm();
    this.bus.peek(pointer);
    pointer = (pointer + this.x) & 0xff;
    const low = this.bus.peek(pointer);
    return low | (this.bus.peek((pointer + 1) & 0xff) << 8);
  }
  private addrIndyWrite(): number {
    const pointer = this.imm();
    const low = this.bus.peek(pointer);
    const high = this.bus.peek((pointer + 1) & 0xff) << 8;
    this.bus.peek(high | ((low + this.y) & 0xff));
    return ((high | low) + this.y) & 0xffff;
  }
  private readZp(): number {
    const address = this.imm();
    if (address & 0x80) {
      const bus = this.bus;
      bus.cycles++;
      const v = this.ram[address & 0x7f];
      bus.dataBus = v;
      bus.lastAccessWasRead = true;
      return v;
    }
    return this.bus.peek(address);
  }
  private readZpx(): number {
    return this.bus.peek(this.addrZpx());
  }
  private readZpy(): number {
    return this.bus.peek(this.addrZpy());
  }
  private readAbs(): number {
    return this.bus.peek(this.addrAbs());
  }
  /** Indexed absolute read: one more cycle (re-reading the fixed address) when a page is crossed. */
  private readAbsIndexed(index: number): number {
    const low = this.imm();
    const high = this.imm() << 8;
    let v = this.bus.peek(high | ((low + index) & 0xff));
    if (low + index > 0xff) v = this.bus.peek(((high | low) + index) & 0xffff);
    return v;
  }
  private readIndx(): number {
    return this.bus.peek(this.addrIndx());
  }
  private readIndy(): number {
    const pointer = this.imm();
    const low = this.bus.peek(pointer);
    const high = this.bus.peek((pointer + 1) & 0xff) << 8;
    let v = this.bus.peek(high | ((low + this.y) & 0xff));
    if (low + this.y > 0xff) v = this.bus.peek(((high | low) + this.y) & 0xffff);
    return v;
  }
  /** Read-modify-write: read the operand, write it back unchanged (the 6502's dummy write). */
  private rmw(address: number): number {
    const v = this.bus.peek(address);
    this.bus.poke(address, v);
    this.rmwAddress = address;
    return v;
  }
  /** Taken branch: +1 cycle, +1 more into another page. */
  private branch(taken: boolean): void {
    const offset = this.imm();
    if (!taken) return;
    this.bus.peek(this.pc);
    const target = (this.pc + ((offset << 24) >> 24)) & 0xffff;
    if ((target ^ this.pc) & 0xff00) this.bus.peek((this.pc & 0xff00) | (target & 0xff));
    this.pc = target;
  }
  private push(value: number): void {
    this.bus.poke(0x100 | this.sp, value);
    this.sp = (this.sp - 1) & 0xff;
  }

  // ---- operations ----

  private setNZ(value: number): void {
    this.notZ = value;
    this.n = value & 0x80;
  }
  private ora(v: number): void {
    this.a |= v;
    this.setNZ(this.a);
  }
  private and(v: number): void {
    this.a &= v;
    this.setNZ(this.a);
  }
  private eor(v: number): void {
    this.a ^= v;
    this.setNZ(this.a);
  }
  private lda(v: number): void {
    this.a = v;
    this.setNZ(v);
  }
  private ldx(v: number): void {
    this.x = v;
    this.setNZ(v);
  }
  private ldy(v: number): void {
    this.y = v;
    this.setNZ(v);
  }
  private lax(v: number): void {
    this.a = this.x = v;
    this.setNZ(v);
  }
  private compare(register: number, v: number): void {
    const diff = (register - v) & 0x1ff;
    this.notZ = diff & 0xff;
    this.n = diff & 0x80;
    this.c = diff & 0x100 ? 0 : 1;
  }
  private bit(v: number): void {
    this.notZ = this.a & v;
    this.n = v & 0x80;
    this.v = (v & 0x40) !== 0;
  }
  private adc(v: number): void {
    const oldA = this.a;
    if (!this.d) {
      const sum = oldA + v + this.c;
      this.v = ((oldA ^ sum) & (v ^ sum) & 0x80) !== 0;
      this.c = sum > 0xff ? 1 : 0;
      this.a = sum & 0xff;
      this.setNZ(this.a);
    } else {
      const sum = BCD[oldA] + BCD[v] + this.c;
      this.c = sum > 99 ? 1 : 0;
      this.a = BCD[256 + (sum & 0xff)];
      this.setNZ(this.a);
      this.v = ((oldA ^ this.a) & 0x80) !== 0 && ((this.a ^ v) & 0x80) !== 0;
    }
  }
  private sbc(v: number): void {
    const oldA = this.a;
    if (!this.d) {
      this.adc(~v & 0xff);
    } else {
      let diff = BCD[oldA] - BCD[v] - (this.c ? 0 : 1);
      if (diff < 0) diff += 100;
      // Stella indexes row 1 of its [2][256] table with what is left; below zero that reads row 0.
      this.a = BCD[256 + diff];
      this.setNZ(this.a);
      this.c = oldA >= v + (this.c ? 0 : 1) ? 1 : 0;
      this.v = ((oldA ^ this.a) & 0x80) !== 0 && ((this.a ^ v) & 0x80) !== 0;
    }
  }
  private asl(v: number): number {
    this.c = v >> 7;
    v = (v << 1) & 0xff;
    this.setNZ(v);
    return v;
  }
  private lsr(v: number): number {
    this.c = v & 1;
    v >>= 1;
    this.setNZ(v);
    return v;
  }
  private rol(v: number): number {
    const r = ((v << 1) | this.c) & 0xff;
    this.c = v >> 7;
    this.setNZ(r);
    return r;
  }
  private ror(v: number): number {
    const r = (v >> 1) | (this.c << 7);
    this.c = v & 1;
    this.setNZ(r);
    return r;
  }
  private write(v: number): void {
    this.bus.poke(this.rmwAddress, v);
  }
  private inc(v: number): void {
    v = (v + 1) & 0xff;
    this.write(v);
    this.setNZ(v);
  }
  private dec(v: number): void {
    v = (v - 1) & 0xff;
    this.write(v);
    this.setNZ(v);
  }
  private slo(v: number): void {
    const r = this.asl(v);
    this.write(r);
    this.ora(r);
  }
  private rla(v: number): void {
    const r = ((v << 1) | this.c) & 0xff;
    this.write(r);
    this.c = v >> 7;
    this.and(r);
  }
  private sre(v: number): void {
    this.c = v & 1;
    const r = v >> 1;
    this.write(r);
    this.eor(r);
  }
  private rra(v: number): void {
    const r = (v >> 1) | (this.c << 7);
    this.c = v & 1;
    this.write(r);
    this.adc(r);
  }
  private dcp(v: number): void {
    const r = (v - 1) & 0xff;
    this.write(r);
    this.compare(this.a, r);
  }
  private isb(v: number): void {
    const r = (v + 1) & 0xff;
    this.write(r);
    this.sbc(r);
  }
  /** SHA/SHX/SHY/SHS store a register ANDed with the target's high byte + 1. */
  private storeHigh(address: number, value: number): void {
    this.bus.poke(address, value & (((address >> 8) + 1) & 0xff));
  }

  /**
   * Runs up to `maxInstructions` instructions, or until the TIA asks to stop (end of frame).
   */
  execute(maxInstructions: number): void {
    const bus = this.bus;
    this.stopRequested = false;
    if (this.halted) return;
    for (let count = maxInstructions; count > 0 && !this.stopRequested; count--) {
      const opcode = this.imm();
      switch (opcode) {
        // ---- loads and stores ----
        case 0xa9:
          this.lda(this.imm());
          break;
        case 0xa5:
          this.lda(this.readZp());
          break;
        case 0xb5:
          this.lda(this.readZpx());
          break;
        case 0xad:
          this.lda(this.readAbs());
          break;
        case 0xbd:
          this.lda(this.readAbsIndexed(this.x));
          break;
        case 0xb9:
          this.lda(this.readAbsIndexed(this.y));
          break;
        case 0xa1:
          this.lda(this.readIndx());
          break;
        case 0xb1:
          this.lda(this.readIndy());
          break;
        case 0xa2:
          this.ldx(this.imm());
          break;
        case 0xa6:
          this.ldx(this.readZp());
          break;
        case 0xb6:
          this.ldx(this.readZpy());
          break;
        case 0xae:
          this.ldx(this.readAbs());
          break;
        case 0xbe:
          this.ldx(this.readAbsIndexed(this.y));
          break;
        case 0xa0:
          this.ldy(this.imm());
          break;
        case 0xa4:
          this.ldy(this.readZp());
          break;
        case 0xb4:
          this.ldy(this.readZpx());
          break;
        case 0xac:
          this.ldy(this.readAbs());
          break;
        case 0xbc:
          this.ldy(this.readAbsIndexed(this.x));
          break;
        case 0x85:
          bus.poke(this.addrZp(), this.a);
          break;
        case 0x95:
          bus.poke(this.addrZpx(), this.a);
          break;
        case 0x8d:
          bus.poke(this.addrAbs(), this.a);
          break;
        case 0x9d:
          bus.poke(this.addrAbsIndexed(this.x), this.a);
          break;
        case 0x99:
          bus.poke(this.addrAbsIndexed(this.y), this.a);
          break;
        case 0x81:
          bus.poke(this.addrIndx(), this.a);
          break;
        case 0x91:
          bus.poke(this.addrIndyWrite(), this.a);
          break;
        case 0x86:
          bus.poke(this.addrZp(), this.x);
          break;
        case 0x96:
          bus.poke(this.addrZpy(), this.x);
          break;
        case 0x8e:
          bus.poke(this.addrAbs(), this.x);
          break;
        case 0x84:
          bus.poke(this.addrZp(), this.y);
          break;
        case 0x94:
          bus.poke(this.addrZpx(), this.y);
          break;
        case 0x8c:
          bus.poke(this.addrAbs(), this.y);
          break;

        // ---- register transfers, stack (implied: one dummy read of the next byte) ----
        case 0xaa:
          bus.peek(this.pc);
          this.x = this.a;
          this.setNZ(this.x);
          break;
        case 0xa8:
          bus.peek(this.pc);
          this.y = this.a;
          this.setNZ(this.y);
          break;
        case 0xba:
          bus.peek(this.pc);
          this.x = this.sp;
          this.setNZ(this.x);
          break;
        case 0x8a:
          bus.peek(this.pc);
          this.a = this.x;
          this.setNZ(this.a);
          break;
        case 0x9a:
          bus.peek(this.pc);
          this.sp = this.x;
          break;
        case 0x98:
          bus.peek(this.pc);
          this.a = this.y;
          this.setNZ(this.a);
          break;
        case 0x48:
          bus.peek(this.pc);
          this.push(this.a);
          break;
        case 0x08:
          bus.peek(this.pc);
          this.push(this.status());
          break;
        case 0x68:
          bus.peek(this.pc);
          bus.peek(0x100 | this.sp);
          this.sp = (this.sp + 1) & 0xff;
          this.lda(bus.peek(0x100 | this.sp));
          break;
        case 0x28:
          bus.peek(this.pc);
          bus.peek(0x100 | this.sp);
          this.sp = (this.sp + 1) & 0xff;
          this.setStatus(bus.peek(0x100 | this.sp));
          break;

        // ---- arithmetic and logic ----
        case 0x09:
          this.ora(this.imm());
          break;
        case 0x05:
          this.ora(this.readZp());
          break;
        case 0x15:
          this.ora(this.readZpx());
          break;
        case 0x0d:
          this.ora(this.readAbs());
          break;
        case 0x1d:
          this.ora(this.readAbsIndexed(this.x));
          break;
        case 0x19:
          this.ora(this.readAbsIndexed(this.y));
          break;
        case 0x01:
          this.ora(this.readIndx());
          break;
        case 0x11:
          this.ora(this.readIndy());
          break;
        case 0x29:
          this.and(this.imm());
          break;
        case 0x25:
          this.and(this.readZp());
          break;
        case 0x35:
          this.and(this.readZpx());
          break;
        case 0x2d:
          this.and(this.readAbs());
          break;
        case 0x3d:
          this.and(this.readAbsIndexed(this.x));
          break;
        case 0x39:
          this.and(this.readAbsIndexed(this.y));
          break;
        case 0x21:
          this.and(this.readIndx());
          break;
        case 0x31:
          this.and(this.readIndy());
          break;
        case 0x49:
          this.eor(this.imm());
          break;
        case 0x45:
          this.eor(this.readZp());
          break;
        case 0x55:
          this.eor(this.readZpx());
          break;
        case 0x4d:
          this.eor(this.readAbs());
          break;
        case 0x5d:
          this.eor(this.readAbsIndexed(this.x));
          break;
        case 0x59:
          this.eor(this.readAbsIndexed(this.y));
          break;
        case 0x41:
          this.eor(this.readIndx());
          break;
        case 0x51:
          this.eor(this.readIndy());
          break;
        case 0x69:
          this.adc(this.imm());
          break;
        case 0x65:
          this.adc(this.readZp());
          break;
        case 0x75:
          this.adc(this.readZpx());
          break;
        case 0x6d:
          this.adc(this.readAbs());
          break;
        case 0x7d:
          this.adc(this.readAbsIndexed(this.x));
          break;
        case 0x79:
          this.adc(this.readAbsIndexed(this.y));
          break;
        case 0x61:
          this.adc(this.readIndx());
          break;
        case 0x71:
          this.adc(this.readIndy());
          break;
        case 0xe9:
        case 0xeb:
          this.sbc(this.imm());
          break;
        case 0xe5:
          this.sbc(this.readZp());
          break;
        case 0xf5:
          this.sbc(this.readZpx());
          break;
        case 0xed:
          this.sbc(this.readAbs());
          break;
        case 0xfd:
          this.sbc(this.readAbsIndexed(this.x));
          break;
        case 0xf9:
          this.sbc(this.readAbsIndexed(this.y));
          break;
        case 0xe1:
          this.sbc(this.readIndx());
          break;
        case 0xf1:
          this.sbc(this.readIndy());
          break;
        case 0xc9:
          this.compare(this.a, this.imm());
          break;
        case 0xc5:
          this.compare(this.a, this.readZp());
          break;
        case 0xd5:
          this.compare(this.a, this.readZpx());
          break;
        case 0xcd:
          this.compare(this.a, this.readAbs());
          break;
        case 0xdd:
          this.compare(this.a, this.readAbsIndexed(this.x));
          break;
        case 0xd9:
          this.compare(this.a, this.readAbsIndexed(this.y));
          break;
        case 0xc1:
          this.compare(this.a, this.readIndx());
          break;
        case 0xd1:
          this.compare(this.a, this.readIndy());
          break;
        case 0xe0:
          this.compare(this.x, this.imm());
          break;
        case 0xe4:
          this.compare(this.x, this.readZp());
          break;
        case 0xec:
          this.compare(this.x, this.readAbs());
          break;
        case 0xc0:
          this.compare(this.y, this.imm());
          break;
        case 0xc4:
          this.compare(this.y, this.readZp());
          break;
        case 0xcc:
          this.compare(this.y, this.readAbs());
          break;
        case 0x24:
          this.bit(this.readZp());
          break;
        case 0x2c:
          this.bit(this.readAbs());
          break;

        // ---- increments and decrements ----
        case 0xe8:
          bus.peek(this.pc);
          this.x = (this.x + 1) & 0xff;
          this.setNZ(this.x);
          break;
        case 0xc8:
          bus.peek(this.pc);
          this.y = (this.y + 1) & 0xff;
          this.setNZ(this.y);
          break;
        case 0xca:
          bus.peek(this.pc);
          this.x = (this.x - 1) & 0xff;
          this.setNZ(this.x);
          break;
        case 0x88:
          bus.peek(this.pc);
          this.y = (this.y - 1) & 0xff;
          this.setNZ(this.y);
          break;
        case 0xe6:
          this.inc(this.rmw(this.addrZp()));
          break;
        case 0xf6:
          this.inc(this.rmw(this.addrZpx()));
          break;
        case 0xee:
          this.inc(this.rmw(this.addrAbs()));
          break;
        case 0xfe:
          this.inc(this.rmw(this.addrAbsIndexed(this.x)));
          break;
        case 0xc6:
          this.dec(this.rmw(this.addrZp()));
          break;
        case 0xd6:
          this.dec(this.rmw(this.addrZpx()));
          break;
        case 0xce:
          this.dec(this.rmw(this.addrAbs()));
          break;
        case 0xde:
          this.dec(this.rmw(this.addrAbsIndexed(this.x)));
          break;

        // ---- shifts and rotates ----
        case 0x0a:
          bus.peek(this.pc);
          this.a = this.asl(this.a);
          break;
        case 0x4a:
          bus.peek(this.pc);
          this.a = this.lsr(this.a);
          break;
        case 0x2a:
          bus.peek(this.pc);
          this.a = this.rol(this.a);
          break;
        case 0x6a:
          bus.peek(this.pc);
          this.a = this.ror(this.a);
          break;
        case 0x06:
          this.write(this.asl(this.rmw(this.addrZp())));
          break;
        case 0x16:
          this.write(this.asl(this.rmw(this.addrZpx())));
          break;
        case 0x0e:
          this.write(this.asl(this.rmw(this.addrAbs())));
          break;
        case 0x1e:
          this.write(this.asl(this.rmw(this.addrAbsIndexed(this.x))));
          break;
        case 0x46:
          this.write(this.lsr(this.rmw(this.addrZp())));
          break;
        case 0x56:
          this.write(this.lsr(this.rmw(this.addrZpx())));
          break;
        case 0x4e:
          this.write(this.lsr(this.rmw(this.addrAbs())));
          break;
        case 0x5e:
          this.write(this.lsr(this.rmw(this.addrAbsIndexed(this.x))));
          break;
        case 0x26:
          this.write(this.rol(this.rmw(this.addrZp())));
          break;
        case 0x36:
          this.write(this.rol(this.rmw(this.addrZpx())));
          break;
        case 0x2e:
          this.write(this.rol(this.rmw(this.addrAbs())));
          break;
        case 0x3e:
          this.write(this.rol(this.rmw(this.addrAbsIndexed(this.x))));
          break;
        case 0x66:
          this.write(this.ror(this.rmw(this.addrZp())));
          break;
        case 0x76:
          this.write(this.ror(this.rmw(this.addrZpx())));
          break;
        case 0x6e:
          this.write(this.ror(this.rmw(this.addrAbs())));
          break;
        case 0x7e:
          this.write(this.ror(this.rmw(this.addrAbsIndexed(this.x))));
          break;

        // ---- flags ----
        case 0x18:
          bus.peek(this.pc);
          this.c = 0;
          break;
        case 0x38:
          bus.peek(this.pc);
          this.c = 1;
          break;
        case 0x58:
          bus.peek(this.pc);
          this.i = false;
          break;
        case 0x78:
          bus.peek(this.pc);
          this.i = true;
          break;
        case 0xb8:
          bus.peek(this.pc);
          this.v = false;
          break;
        case 0xd8:
          bus.peek(this.pc);
          this.d = false;
          break;
        case 0xf8:
          bus.peek(this.pc);
          this.d = true;
          break;

        // ---- branches ----
        case 0x10:
          this.branch(this.n === 0);
          break;
        case 0x30:
          this.branch(this.n !== 0);
          break;
        case 0x50:
          this.branch(!this.v);
          break;
        case 0x70:
          this.branch(this.v);
          break;
        case 0x90:
          this.branch(this.c === 0);
          break;
        case 0xb0:
          this.branch(this.c !== 0);
          break;
        case 0xd0:
          this.branch(this.notZ !== 0);
          break;
        case 0xf0:
          this.branch(this.notZ === 0);
          break;

        // ---- jumps, subroutines, interrupts ----
        case 0x4c:
          this.pc = this.addrAbs();
          break;
        case 0x6c: {
          const pointer = this.addrAbs();
          // The 6502 does not carry into the high byte when fetching the vector ($xxFF bug).
          const highPointer = (pointer & 0xff00) | ((pointer + 1) & 0xff);
          const low = bus.peek(pointer);
          this.pc = low | (bus.peek(highPointer) << 8);
          break;
        }
        case 0x20: {
          const low = this.imm();
          bus.peek(0x100 | this.sp);
          this.push(this.pc >> 8);
          this.push(this.pc & 0xff);
          this.pc = low | (bus.peek(this.pc) << 8);
          break;
        }
        case 0x60:
          bus.peek(this.pc);
          bus.peek(0x100 | this.sp);
          this.sp = (this.sp + 1) & 0xff;
          this.pc = bus.peek(0x100 | this.sp);
          this.sp = (this.sp + 1) & 0xff;
          this.pc |= bus.peek(0x100 | this.sp) << 8;
          bus.peek(this.pc);
          this.pc = (this.pc + 1) & 0xffff;
          break;
        case 0x40:
          bus.peek(this.pc);
          bus.peek(0x100 | this.sp);
          this.sp = (this.sp + 1) & 0xff;
          this.setStatus(bus.peek(0x100 | this.sp));
          this.sp = (this.sp + 1) & 0xff;
          this.pc = bus.peek(0x100 | this.sp);
          this.sp = (this.sp + 1) & 0xff;
          this.pc |= bus.peek(0x100 | this.sp) << 8;
          break;
        case 0x00:
          this.imm();
          this.push(this.pc >> 8);
          this.push(this.pc & 0xff);
          this.push(this.status());
          this.i = true;
          this.pc = bus.peek(0xfffe) | (bus.peek(0xffff) << 8);
          break;

        // ---- NOPs (official and undocumented; the reading ones really read) ----
        case 0xea:
        case 0x1a:
        case 0x3a:
        case 0x5a:
        case 0x7a:
        case 0xda:
        case 0xfa:
          bus.peek(this.pc);
          break;
        case 0x80:
        case 0x82:
        case 0x89:
        case 0xc2:
        case 0xe2:
          this.imm();
          break;
        case 0x04:
        case 0x44:
        case 0x64:
          this.readZp();
          break;
        case 0x14:
        case 0x34:
        case 0x54:
        case 0x74:
        case 0xd4:
        case 0xf4:
          this.readZpx();
          break;
        case 0x0c:
          this.readAbs();
          break;
        case 0x1c:
        case 0x3c:
        case 0x5c:
        case 0x7c:
        case 0xdc:
        case 0xfc:
          this.readAbsIndexed(this.x);
          break;

        // ---- undocumented opcodes ----
        case 0xa7:
          this.lax(this.readZp());
          break;
        case 0xb7:
          this.lax(this.readZpy());
          break;
        case 0xaf:
          this.lax(this.readAbs());
          break;
        case 0xbf:
          this.lax(this.readAbsIndexed(this.y));
          break;
        case 0xa3:
          this.lax(this.readIndx());
          break;
        case 0xb3:
          this.lax(this.readIndy());
          break;
        case 0x87:
          bus.poke(this.addrZp(), this.a & this.x);
          break;
        case 0x97:
          bus.poke(this.addrZpy(), this.a & this.x);
          break;
        case 0x8f:
          bus.poke(this.addrAbs(), this.a & this.x);
          break;
        case 0x83:
          bus.poke(this.addrIndx(), this.a & this.x);
          break;
        case 0x07:
          this.slo(this.rmw(this.addrZp()));
          break;
        case 0x17:
          this.slo(this.rmw(this.addrZpx()));
          break;
        case 0x0f:
          this.slo(this.rmw(this.addrAbs()));
          break;
        case 0x1f:
          this.slo(this.rmw(this.addrAbsIndexed(this.x)));
          break;
        case 0x1b:
          this.slo(this.rmw(this.addrAbsIndexed(this.y)));
          break;
        case 0x03:
          this.slo(this.rmw(this.addrIndx()));
          break;
        case 0x13:
          this.slo(this.rmw(this.addrIndyWrite()));
          break;
        case 0x27:
          this.rla(this.rmw(this.addrZp()));
          break;
        case 0x37:
          this.rla(this.rmw(this.addrZpx()));
          break;
        case 0x2f:
          this.rla(this.rmw(this.addrAbs()));
          break;
        case 0x3f:
          this.rla(this.rmw(this.addrAbsIndexed(this.x)));
          break;
        case 0x3b:
          this.rla(this.rmw(this.addrAbsIndexed(this.y)));
          break;
        case 0x23:
          this.rla(this.rmw(this.addrIndx()));
          break;
        case 0x33:
          this.rla(this.rmw(this.addrIndyWrite()));
          break;
        case 0x47:
          this.sre(this.rmw(this.addrZp()));
          break;
        case 0x57:
          this.sre(this.rmw(this.addrZpx()));
          break;
        case 0x4f:
          this.sre(this.rmw(this.addrAbs()));
          break;
        case 0x5f:
          this.sre(this.rmw(this.addrAbsIndexed(this.x)));
          break;
        case 0x5b:
          this.sre(this.rmw(this.addrAbsIndexed(this.y)));
          break;
        case 0x43:
          this.sre(this.rmw(this.addrIndx()));
          break;
        case 0x53:
          this.sre(this.rmw(this.addrIndyWrite()));
          break;
        case 0x67:
          this.rra(this.rmw(this.addrZp()));
          break;
        case 0x77:
          this.rra(this.rmw(this.addrZpx()));
          break;
        case 0x6f:
          this.rra(this.rmw(this.addrAbs()));
          break;
        case 0x7f:
          this.rra(this.rmw(this.addrAbsIndexed(this.x)));
          break;
        case 0x7b:
          this.rra(this.rmw(this.addrAbsIndexed(this.y)));
          break;
        case 0x63:
          this.rra(this.rmw(this.addrIndx()));
          break;
        case 0x73:
          this.rra(this.rmw(this.addrIndyWrite()));
          break;
        case 0xc7:
          this.dcp(this.rmw(this.addrZp()));
          break;
        case 0xd7:
          this.dcp(this.rmw(this.addrZpx()));
          break;
        case 0xcf:
          this.dcp(this.rmw(this.addrAbs()));
          break;
        case 0xdf:
          this.dcp(this.rmw(this.addrAbsIndexed(this.x)));
          break;
        case 0xdb:
          this.dcp(this.rmw(this.addrAbsIndexed(this.y)));
          break;
        case 0xc3:
          this.dcp(this.rmw(this.addrIndx()));
          break;
        case 0xd3:
          this.dcp(this.rmw(this.addrIndyWrite()));
          break;
        case 0xe7:
          this.isb(this.rmw(this.addrZp()));
          break;
        case 0xf7:
          this.isb(this.rmw(this.addrZpx()));
          break;
        case 0xef:
          this.isb(this.rmw(this.addrAbs()));
          break;
        case 0xff:
          this.isb(this.rmw(this.addrAbsIndexed(this.x)));
          break;
        case 0xfb:
          this.isb(this.rmw(this.addrAbsIndexed(this.y)));
          break;
        case 0xe3:
          this.isb(this.rmw(this.addrIndx()));
          break;
        case 0xf3:
          this.isb(this.rmw(this.addrIndyWrite()));
          break;
        case 0x0b:
        case 0x2b: // ANC
          this.and(this.imm());
          this.c = this.n >> 7;
          break;
        case 0x4b: {
          // ASR (ALR): AND then LSR A
          this.a &= this.imm();
          this.a = this.lsr(this.a);
          break;
        }
        case 0x6b:
          this.arr(this.imm());
          break;
        case 0x8b:
          this.lda((this.a | 0xee) & this.x & this.imm());
          break; // ANE
        case 0xab:
          this.lax((this.a | 0xee) & this.imm());
          break; // LXA
        case 0xbb: {
          // LAS
          const v = this.sp & this.readAbsIndexed(this.y);
          this.sp = v;
          this.lax(v);
          break;
        }
        case 0xcb: {
          // SBX
          const diff = ((this.a & this.x) - this.imm()) & 0x1ff;
          this.x = diff & 0xff;
          this.setNZ(this.x);
          this.c = diff & 0x100 ? 0 : 1;
          break;
        }
        case 0x9f: {
          const address = this.addrAbsIndexed(this.y);
          this.storeHigh(address, this.a & this.x);
          break;
        }
        case 0x93: {
          const address = this.addrIndyWrite();
          this.storeHigh(address, this.a & this.x);
          break;
        }
        case 0x9b: {
          const address = this.addrAbsIndexed(this.y);
          this.sp = this.a & this.x;
          this.storeHigh(address, this.a & this.x);
          break;
        }
        case 0x9e: {
          const address = this.addrAbsIndexed(this.y);
          this.storeHigh(address, this.x);
          break;
        }
        case 0x9c: {
          const address = this.addrAbsIndexed(this.x);
          this.storeHigh(address, this.y);
          break;
        }

        default:
          // 0x02, 0x12, ... (JAM): the CPU locks up.
          this.halted = true;
          return;
      }
    }
  }

  /** ARR: AND, then ROR A with odd flag rules (and a BCD fix-up in decimal mode). */
  private arr(operand: number): void {
    if (!this.d) {
      const value = this.a & operand;
      this.a = (value >> 1) | (this.c << 7);
      this.c = (this.a >> 6) & 1;
      this.v = ((this.a & 0x40) ^ ((this.a & 0x20) << 1)) !== 0;
      this.setNZ(this.a);
    } else {
      const value = this.a & operand;
      this.a = (value >> 1) | (this.c << 7);
      this.n = this.c << 7;
      this.notZ = this.a;
      this.v = ((value ^ this.a) & 0x40) !== 0;
      if ((value & 0x0f) + (value & 0x01) > 0x05) this.a = (this.a & 0xf0) | ((this.a + 0x06) & 0x0f);
      if ((value & 0xf0) + (value & 0x10) > 0x50) {
        this.a = (this.a + 0x60) & 0xff;
        this.c = 1;
      } else {
        this.c = 0;
      }
    }
  }
}
