/**
 * Atari 2600 cartridges: the ROM seen through the cartridge port ($1000-$1FFF, A12 high).
 *
 * - 2K: one 2 KiB ROM, mirrored twice in the 4 KiB window.
 * - 4K: one 4 KiB ROM.
 * - F8 (8 KiB), F6 (16 KiB), F4 (32 KiB): 4 KiB banks chosen by touching (reading or writing) a
 *   hotspot at the top of the window: $1FF8-$1FF9 for F8, $1FF6-$1FF9 for F6, $1FF4-$1FFB for F4.
 *   F8 starts in bank 1, the others in bank 0 (as Stella).
 * The scheme is recognised from the ROM size, as Stella's auto-detection does for these sizes.
 */
export type CartridgeType = "2K" | "4K" | "F8" | "F6" | "F4";

const FIRST_HOTSPOT: Record<CartridgeType, number> = {
  "2K": 0x1000,
  "4K": 0x1000,
  F8: 0xff8,
  F6: 0xff6,
  F4: 0xff4,
};
const START_BANK: Record<CartridgeType, number> = { "2K": 0, "4K": 0, F8: 1, F6: 0, F4: 0 };

export function detectCartridgeType(size: number): CartridgeType {
  switch (size) {
    case 2048:
      return "2K";
    case 4096:
      return "4K";
    case 8192:
      return "F8";
    case 16384:
      return "F6";
    case 32768:
      return "F4";
    default:
      throw new Error(
        `unsupported cartridge: ${size} bytes (supported: 2K, 4K, F8 8K, F6 16K and F4 32K ROMs)`,
      );
  }
}

export class Cartridge {
  readonly type: CartridgeType;
  readonly rom: Uint8Array;
  /** Mask of the address bits the ROM decodes inside its window (0x7FF for 2K, else 0xFFF). */
  readonly addressMask: number;
  /** Offsets within the 4 KiB window at and above this one are bank-switching hotspots. */
  readonly firstHotspot: number;
  /** Start of the selected 4 KiB bank in `rom`. */
  bankOffset = 0;

  constructor(image: Uint8Array, type: CartridgeType = detectCartridgeType(image.length)) {
    this.type = type;
    this.rom = Uint8Array.from(image);
    this.addressMask = image.length === 2048 ? 0x7ff : 0xfff;
    this.firstHotspot = FIRST_HOTSPOT[type];
    this.reset();
  }

  reset(): void {
    this.bankOffset = START_BANK[this.type] * 4096;
  }

  /** A read of the cartridge window (`offset` = address & 0xFFF). */
  peek(offset: number): number {
    if (offset >= this.firstHotspot) this.touch(offset);
    return this.rom[this.bankOffset + (offset & this.addressMask)];
  }

  /** A write to the cartridge window: ROM ignores the value, but a hotspot still switches banks. */
  poke(offset: number): void {
    if (offset >= this.firstHotspot) this.touch(offset);
  }

  /** The byte the CPU would read at `address`, without switching banks (for the reset vector). */
  read(address: number): number {
    return this.rom[this.bankOffset + (address & this.addressMask)];
  }

  private touch(offset: number): void {
    const bank = offset - this.firstHotspot;
    if (bank * 4096 < this.rom.length) this.bankOffset = bank * 4096;
  }

  saveState(): number[] {
    return [this.bankOffset];
  }

  loadState(state: readonly number[]): void {
    this.bankOffset = state[0];
  }
}
