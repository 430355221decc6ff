/**
 * The one table of chip facts. Every chip-dependent decision in the host, the plan readers
 * and the virtual chip reads this table; nothing else in the code base compares chip names.
 *
 * Sources: ../shared/docs/esp-serial-protocol.md §2.2, §3.4, §3.5, §3.7, §6.1, §6.3, §8.2.
 * MAC eFuse register addresses are not in that document; they are the `MAC_EFUSE_REG`
 * values of esptool's targets (word 0 at the address, word 1 four bytes after it).
 * UF2 family ids are the `UF2_FAMILY_ID` values of esptool 4.12's targets
 * (esptool/targets/<chip>.py), the ids Espressif registered in Microsoft's uf2 families list.
 */
import { InputError } from './errors';

export type ChipName = 'esp8266' | 'esp32' | 'esp32s2' | 'esp32s3' | 'esp32c2' | 'esp32c3' | 'esp32c5' | 'esp32c6' | 'esp32h2' | 'esp32p4';

/** A bit field inside a 32-bit eFuse register readable with READ_REG. */
export interface RegField {
  addr: number;
  shift: number;
  bits: number;
}

export type FlashCryptScheme = 'none' | 'esp32-aes' | 'xts-aes';

/** How the chip says which eFuse key block holds the flash-encryption key. */
export type KeyPresence =
  | { kind: 'none' }
  /** ESP32: BLOCK1 key words, FLASH_CRYPT_CONFIG field, read-protect bits. */
  | {
      kind: 'esp32-block1';
      keyWords: number; // address of the first of 8 key words
      readDisableBlock1: RegField; // bit set ⇒ key read-protected ⇒ assume valid
      flashCryptConfig: RegField;
      readDisableConfig: RegField; // bit set ⇒ config read-protected ⇒ assume 0xF
    }
  /** S2 and later: 4- or 5-bit key purpose fields for KEY0..KEY5. */
  | {
      kind: 'key-purpose';
      purposes: RegField[]; // KEY0..KEY5
      accepts256: boolean; // purposes 2+3 (XTS_AES_256_KEY_1/2) also count
      keyManagerForced?: RegField;
    }
  /** ESP32-C2: a single BLOCK_KEY0 with a length bit. */
  | {
      kind: 'esp32c2-key0';
      keyLength256: RegField; // 1 ⇒ 256-bit key (XTS-AES-128 from 32 bytes), 0 ⇒ 128-bit derived
      readDisable: RegField; // value 3 (256) or 1 (128) ⇒ assume valid
      keyWords: number;
    };

/** Part of a value spread over eFuse bits: `field`'s bits land at bit `at` of the value. */
export interface BitPart {
  field: RegField;
  at: number;
}

/**
 * What the Device view shows beyond security, read only (esptool's get_major/minor_chip_version,
 * get_crystal_freq, espefuse's BLOCK0 write/read-disable bits). Sources: esptool 4.12 targets.
 */
export interface ChipIdentityFacts {
  majorRev: BitPart[];
  minorRev: BitPart[];
  /** ESP32: the combined major bits map to the revision (0→0, 1→1, 3→2, 7→3). */
  majorRevMap?: Record<number, number>;
  /** Fixed crystal, or measured from the UART clock divider at the current baud rate. */
  crystal: { fixedMHz: number } | { uartClkDiv: number; xtalClkDivider: number };
  /** What the chip family has (radio, cores): from the family, not read from the chip. */
  features: string[];
  /** BLOCK0 write-disable word (each bit locks a group of fields). */
  wrDis?: number;
  /** Bits of `wrDis` that are the write-disable field (ESP32: 16; default all 32). */
  wrDisBits?: number;
  /** BLOCK0 read-disable bits (bit n locks key block n). */
  rdDis?: RegField;
  /** Key blocks: their write-disable bit in `wrDis` and read-disable bit in `rdDis`. */
  keyBlocks: { name: string; wrDisBit?: number; rdDisBit?: number }[];
}

export interface SpiFlashRegs {
  base: number;
  usr: number;
  usr1: number;
  usr2: number;
  mosiDlen?: number; // absent on ESP8266 (lengths live in USR1)
  misoDlen?: number;
  w0: number;
  /** Address is left-aligned (`<< (32 - bits)`) on ESP32 and ESP8266, as-is later. */
  addressLeftAligned: boolean;
}

export interface ChipFacts {
  name: ChipName;
  displayName: string;
  /** Image header / GET_SECURITY_INFO chip id; undefined for ESP8266 (no extended header). */
  imageChipId?: number;
  /** Values READ_REG 0x40001000 can return on this chip. */
  magicValues: number[];
  /** GET_SECURITY_INFO: 'none' (ROM lacks it), 'short' (12 bytes, no chip id), 'full' (20 bytes). */
  securityInfo: 'none' | 'short' | 'full';
  /** Status bytes at the end of a ROM response (stubs always use 2). */
  romStatusLength: 2 | 4;
  /** ROM accepts a 20-byte FLASH_BEGIN whose 5th word asks for encryption. */
  romEncryptedFlag: boolean;
  /** ROM implements FLASH_DEFL_*, SPI_FLASH_MD5, SPI_ATTACH, SPI_SET_PARAMS, CHANGE_BAUDRATE, READ_FLASH_SLOW. */
  romHasEsp32Commands: boolean;
  /** Second-stage bootloader offset in flash. */
  bootloaderOffset: number;
  /** Alignment esptool demands of encrypted writes (address and padded length). */
  encryptedWriteAlign: number;
  cryptScheme: FlashCryptScheme;
  /** XTS key sizes (bytes, as key files hold them) the chip's eFuses can take. */
  xtsKeySizes: number[];
  /** Flash-encryption eFuses. */
  efuse: {
    cryptCounter?: RegField;
    /** "Manual encryption in download mode disabled" (release mode). */
    downloadEncryptDisabled?: RegField;
    secureBoot?: RegField;
    keyPresence: KeyPresence;
    /** First of two MAC words. */
    macWord0: number;
  };
  spi: SpiFlashRegs;
  /** Flash-frequency nibble per MHz string used in image headers. */
  flashFreq: Record<string, number>;
  /** Image mapping windows for ELF → image. */
  irom: [number, number];
  drom: [number, number];
  /** Stub JSON file base names to look for, in preference order. */
  stubFiles: string[];
  /** Rust target triples that build for this chip. */
  rustTriples: string[];
  /** Maximum flash size the header nibble can mean on this chip (bytes). */
  maxFlashSize: number;
  /**
   * ELF → image: a flash-mapped segment must end at least this many bytes past an MMU page
   * boundary (ESP32 only: 0x24, old 2nd-stage bootloader mapping bug, §6.3 step 6); 0 = no rule.
   */
  imageFlashSegmentMinTail: number;
  /** CPU architecture (ELF machine: Xtensa 94, RISC-V 243). */
  arch: 'xtensa' | 'riscv';
  /** UF2 family id written into every UF2 block for this chip (esptool `UF2_FAMILY_ID`). */
  uf2FamilyId: number;
  /** Revision, crystal, features and eFuse protection bits (Device view, read only). */
  identity: ChipIdentityFacts;
  /**
   * The ROM loader's CHANGE_BAUDRATE cannot be relied on before the stub runs: on Espressif's
   * QEMU ESP32 (real ECO3 ROM) neither esptool 4.12 nor ESP Flasher hears the ROM again after
   * switching to 921600, so the stub is uploaded at 115200 there.
   */
  romBaudChangeUnproven?: boolean;
  /**
   * The ROM loader's compressed write (FLASH_DEFL_*) writes past the end of its data, in windows
   * of this many bytes counted from the write's start: on Espressif's QEMU with the real ESP32
   * (ECO3) ROM, the flash after the data up to the next 32 KiB window boundary — a whole window
   * more when the data ends on one — got bytes of the ROM's output buffer, written without
   * erasing (ANDed into what was there). So a compressed ROM write on such a chip covers whole
   * windows only and leaves at least one window at its end to an uncompressed write, which erases
   * and writes exactly the range the overrun touched (prepare_segments.ts, romDeflateWindows).
   * The ESP32-C3 ROM does not do this (same probe); undefined: no overrun known.
   */
  romDeflateOverrun?: number;
}

const MiB = 1024 * 1024;

const s2LayoutPurposes = (w0: number, w1: number): RegField[] => [
  { addr: w0, shift: 24, bits: 4 },
  { addr: w0, shift: 28, bits: 4 },
  { addr: w1, shift: 0, bits: 4 },
  { addr: w1, shift: 4, bits: 4 },
  { addr: w1, shift: 8, bits: 4 },
  { addr: w1, shift: 12, bits: 4 },
];

const spiS2Layout = (base: number): SpiFlashRegs => ({
  base,
  usr: 0x18,
  usr1: 0x1c,
  usr2: 0x20,
  mosiDlen: 0x24,
  misoDlen: 0x28,
  w0: 0x58,
  addressLeftAligned: false,
});

const bit = (addr: number, shift: number, bits: number, at = 0): BitPart => ({ field: { addr, shift, bits }, at });
/** S2 and later: WR_DIS word at base+0x2C, RD_DIS bits 6:0 of base+0x30, BLOCK_KEY0..5 write-disabled by bits 23..28. */
const sKeyBlocks = (base: number) => ({
  wrDis: base + 0x2c,
  rdDis: { addr: base + 0x30, shift: 0, bits: 7 },
  keyBlocks: [0, 1, 2, 3, 4, 5].map((n) => ({ name: `BLOCK_KEY${n}`, wrDisBit: 23 + n, rdDisBit: n })),
});
const UART_CLKDIV = 0x60000014;

const FREQ_STD = { '80m': 0xf, '40m': 0x0, '26m': 0x1, '20m': 0x2 };

const CHIPS: Record<ChipName, ChipFacts> = {
  esp8266: {
    name: 'esp8266',
    displayName: 'ESP8266',
    magicValues: [0xfff0c101],
    securityInfo: 'none',
    romStatusLength: 2,
    romEncryptedFlag: false,
    romHasEsp32Commands: false,
    bootloaderOffset: 0x0,
    encryptedWriteAlign: 0,
    cryptScheme: 'none',
    xtsKeySizes: [],
    efuse: { keyPresence: { kind: 'none' }, macWord0: 0x3ff00050 },
    spi: { base: 0x60000200, usr: 0x1c, usr1: 0x20, usr2: 0x24, w0: 0x40, addressLeftAligned: true },
    flashFreq: FREQ_STD,
    irom: [0x40200000, 0x40300000],
    drom: [0x3ff00000, 0x3ff00000],
    stubFiles: ['esp8266'],
    rustTriples: [],
    maxFlashSize: 16 * MiB,
    imageFlashSegmentMinTail: 0,
    arch: 'xtensa',
    uf2FamilyId: 0x7eab61ed,
    identity: { majorRev: [], minorRev: [], crystal: { uartClkDiv: UART_CLKDIV, xtalClkDivider: 2 }, features: ['Wi-Fi'], keyBlocks: [] },
  },
  esp32: {
    name: 'esp32',
    displayName: 'ESP32',
    romBaudChangeUnproven: true,
    romDeflateOverrun: 0x8000,
    imageChipId: 0,
    magicValues: [0x00f01d83],
    securityInfo: 'none',
    romStatusLength: 4,
    romEncryptedFlag: false,
    romHasEsp32Commands: true,
    bootloaderOffset: 0x1000,
    encryptedWriteAlign: 32,
    cryptScheme: 'esp32-aes',
    xtsKeySizes: [],
    efuse: {
      cryptCounter: { addr: 0x3ff5a000, shift: 20, bits: 7 },
      downloadEncryptDisabled: { addr: 0x3ff5a018, shift: 7, bits: 1 },
      secureBoot: { addr: 0x3ff5a018, shift: 4, bits: 1 },
      keyPresence: {
        kind: 'esp32-block1',
        keyWords: 0x3ff5a038,
        readDisableBlock1: { addr: 0x3ff5a000, shift: 16, bits: 1 },
        flashCryptConfig: { addr: 0x3ff5a014, shift: 28, bits: 4 },
        readDisableConfig: { addr: 0x3ff5a000, shift: 19, bits: 1 },
      },
      macWord0: 0x3ff5a004,
    },
    spi: {
      base: 0x3ff42000,
      usr: 0x1c,
      usr1: 0x20,
      usr2: 0x24,
      mosiDlen: 0x28,
      misoDlen: 0x2c,
      w0: 0x80,
      addressLeftAligned: true,
    },
    flashFreq: FREQ_STD,
    irom: [0x400d0000, 0x40400000],
    drom: [0x3f400000, 0x3f800000],
    stubFiles: ['esp32'],
    rustTriples: ['xtensa-esp32-none-elf', 'xtensa-esp32-espidf'],
    maxFlashSize: 16 * MiB,
    imageFlashSegmentMinTail: 0x24,
    arch: 'xtensa',
    uf2FamilyId: 0x1c5f21b0,
    identity: {
      majorRev: [bit(0x3ff5a00c, 15, 1, 0), bit(0x3ff5a014, 20, 1, 1), bit(0x3ff6607c, 31, 1, 2)],
      majorRevMap: { 0: 0, 1: 1, 3: 2, 7: 3 },
      minorRev: [bit(0x3ff5a014, 24, 2)],
      crystal: { uartClkDiv: 0x3ff40014, xtalClkDivider: 1 },
      features: ['Wi-Fi', 'Bluetooth', 'Dual Core (Single Core variants exist)'],
      wrDis: 0x3ff5a000,
      wrDisBits: 16,
      rdDis: { addr: 0x3ff5a000, shift: 16, bits: 4 },
      keyBlocks: [
        { name: 'BLOCK1 (flash encryption)', wrDisBit: 7, rdDisBit: 0 },
        { name: 'BLOCK2 (secure boot)', wrDisBit: 8, rdDisBit: 1 },
        { name: 'BLOCK3', wrDisBit: 9, rdDisBit: 2 },
      ],
    },
  },
  esp32s2: {
    name: 'esp32s2',
    displayName: 'ESP32-S2',
    imageChipId: 2,
    magicValues: [0x000007c6],
    securityInfo: 'short',
    romStatusLength: 4,
    romEncryptedFlag: true,
    romHasEsp32Commands: true,
    bootloaderOffset: 0x1000,
    encryptedWriteAlign: 16,
    cryptScheme: 'xts-aes',
    xtsKeySizes: [32, 64],
    efuse: {
      cryptCounter: { addr: 0x3f41a034, shift: 18, bits: 3 },
      downloadEncryptDisabled: { addr: 0x3f41a030, shift: 19, bits: 1 },
      secureBoot: { addr: 0x3f41a038, shift: 20, bits: 1 },
      keyPresence: { kind: 'key-purpose', purposes: s2LayoutPurposes(0x3f41a034, 0x3f41a038), accepts256: true },
      macWord0: 0x3f41a044,
    },
    spi: spiS2Layout(0x3f402000),
    flashFreq: FREQ_STD,
    irom: [0x40080000, 0x40b80000],
    drom: [0x3f000000, 0x3f3f0000],
    stubFiles: ['esp32s2'],
    rustTriples: ['xtensa-esp32s2-none-elf', 'xtensa-esp32s2-espidf'],
    maxFlashSize: 128 * MiB,
    imageFlashSegmentMinTail: 0,
    arch: 'xtensa',
    uf2FamilyId: 0xbfdd4eee,
    identity: {
      majorRev: [bit(0x3f41a050, 18, 2)],
      minorRev: [bit(0x3f41a054, 4, 3, 0), bit(0x3f41a050, 20, 1, 3)],
      crystal: { fixedMHz: 40 },
      features: ['Wi-Fi', 'Single Core'],
      ...sKeyBlocks(0x3f41a000),
    },
  },
  esp32s3: {
    name: 'esp32s3',
    displayName: 'ESP32-S3',
    imageChipId: 9,
    magicValues: [0x00000009],
    securityInfo: 'full',
    romStatusLength: 4,
    romEncryptedFlag: true,
    romHasEsp32Commands: true,
    bootloaderOffset: 0x0,
    encryptedWriteAlign: 16,
    cryptScheme: 'xts-aes',
    xtsKeySizes: [32, 64],
    efuse: {
      cryptCounter: { addr: 0x60007034, shift: 18, bits: 3 },
      downloadEncryptDisabled: { addr: 0x60007030, shift: 20, bits: 1 },
      secureBoot: { addr: 0x60007038, shift: 20, bits: 1 },
      keyPresence: { kind: 'key-purpose', purposes: s2LayoutPurposes(0x60007034, 0x60007038), accepts256: true },
      macWord0: 0x60007044,
    },
    spi: spiS2Layout(0x60002000),
    flashFreq: FREQ_STD,
    irom: [0x42000000, 0x44000000],
    drom: [0x3c000000, 0x3e000000],
    stubFiles: ['esp32s3'],
    rustTriples: ['xtensa-esp32s3-none-elf', 'xtensa-esp32s3-espidf'],
    maxFlashSize: 128 * MiB,
    imageFlashSegmentMinTail: 0,
    arch: 'xtensa',
    uf2FamilyId: 0xc47e5767,
    identity: {
      majorRev: [bit(0x60007058, 24, 2)],
      minorRev: [bit(0x60007050, 18, 3, 0), bit(0x60007058, 23, 1, 3)],
      crystal: { fixedMHz: 40 },
      features: ['Wi-Fi', 'BLE', 'Dual Core'],
      ...sKeyBlocks(0x60007000),
    },
  },
  esp32c2: {
    name: 'esp32c2',
    displayName: 'ESP32-C2',
    imageChipId: 12,
    magicValues: [0x6f51306f, 0x7c41a06f, 0x0c21e06f],
    securityInfo: 'full',
    romStatusLength: 4,
    romEncryptedFlag: true,
    romHasEsp32Commands: true,
    bootloaderOffset: 0x0,
    encryptedWriteAlign: 16,
    cryptScheme: 'xts-aes',
    xtsKeySizes: [16, 32],
    efuse: {
      cryptCounter: { addr: 0x60008830, shift: 7, bits: 3 },
      downloadEncryptDisabled: { addr: 0x60008830, shift: 6, bits: 1 },
      secureBoot: { addr: 0x60008830, shift: 21, bits: 1 },
      keyPresence: {
        kind: 'esp32c2-key0',
        keyLength256: { addr: 0x60008830, shift: 10, bits: 1 },
        readDisable: { addr: 0x60008830, shift: 0, bits: 2 },
        keyWords: 0x60008860,
      },
      macWord0: 0x60008840,
    },
    spi: spiS2Layout(0x60002000),
    flashFreq: { '60m': 0xf, '30m': 0x0, '20m': 0x1, '15m': 0x2 },
    irom: [0x42000000, 0x42400000],
    drom: [0x3c000000, 0x3c400000],
    stubFiles: ['esp32c2'],
    rustTriples: ['riscv32imc-unknown-none-elf', 'riscv32imc-esp-espidf'],
    maxFlashSize: 16 * MiB,
    imageFlashSegmentMinTail: 0,
    arch: 'riscv',
    uf2FamilyId: 0x2b88d29c,
    identity: {
      majorRev: [bit(0x60008844, 20, 2)],
      minorRev: [bit(0x60008844, 16, 4)],
      crystal: { uartClkDiv: UART_CLKDIV, xtalClkDivider: 1 },
      features: ['Wi-Fi', 'BLE'],
      rdDis: { addr: 0x60008830, shift: 0, bits: 2 },
      keyBlocks: [{ name: 'BLOCK_KEY0', rdDisBit: 0 }],
    },
  },
  esp32c3: {
    name: 'esp32c3',
    displayName: 'ESP32-C3',
    imageChipId: 5,
    magicValues: [0x6921506f, 0x1b31506f, 0x4881606f, 0x4361606f],
    securityInfo: 'full',
    romStatusLength: 4,
    romEncryptedFlag: true,
    romHasEsp32Commands: true,
    bootloaderOffset: 0x0,
    encryptedWriteAlign: 16,
    cryptScheme: 'xts-aes',
    xtsKeySizes: [32],
    efuse: {
      cryptCounter: { addr: 0x60008834, shift: 18, bits: 3 },
      downloadEncryptDisabled: { addr: 0x60008830, shift: 20, bits: 1 },
      secureBoot: { addr: 0x60008838, shift: 20, bits: 1 },
      keyPresence: { kind: 'key-purpose', purposes: s2LayoutPurposes(0x60008834, 0x60008838), accepts256: false },
      macWord0: 0x60008844,
    },
    spi: spiS2Layout(0x60002000),
    flashFreq: FREQ_STD,
    irom: [0x42000000, 0x42800000],
    drom: [0x3c000000, 0x3c800000],
    stubFiles: ['esp32c3'],
    rustTriples: ['riscv32imc-unknown-none-elf', 'riscv32imc-esp-espidf'],
    maxFlashSize: 16 * MiB,
    imageFlashSegmentMinTail: 0,
    arch: 'riscv',
    uf2FamilyId: 0xd42ba06c,
    identity: {
      majorRev: [bit(0x60008858, 24, 2)],
      minorRev: [bit(0x60008850, 18, 3, 0), bit(0x60008858, 23, 1, 3)],
      crystal: { fixedMHz: 40 },
      features: ['Wi-Fi', 'BLE', 'Single Core'],
      ...sKeyBlocks(0x60008800),
    },
  },
  esp32c5: {
    name: 'esp32c5',
    displayName: 'ESP32-C5',
    imageChipId: 23,
    magicValues: [0x1101406f, 0x63e1406f, 0x5fd1406f],
    securityInfo: 'full',
    romStatusLength: 4,
    romEncryptedFlag: true,
    romHasEsp32Commands: true,
    bootloaderOffset: 0x2000,
    encryptedWriteAlign: 16,
    cryptScheme: 'xts-aes',
    xtsKeySizes: [32],
    efuse: {
      cryptCounter: { addr: 0x600b4834, shift: 16, bits: 3 },
      downloadEncryptDisabled: { addr: 0x600b4830, shift: 20, bits: 1 },
      secureBoot: { addr: 0x600b4838, shift: 25, bits: 1 },
      keyPresence: {
        kind: 'key-purpose',
        purposes: [
          { addr: 0x600b4834, shift: 22, bits: 5 },
          { addr: 0x600b4834, shift: 27, bits: 5 },
          { addr: 0x600b4838, shift: 0, bits: 5 },
          { addr: 0x600b4838, shift: 5, bits: 5 },
          { addr: 0x600b4838, shift: 10, bits: 5 },
          { addr: 0x600b4838, shift: 15, bits: 5 },
        ],
        accepts256: false,
        keyManagerForced: { addr: 0x600b4834, shift: 11, bits: 1 },
      },
      macWord0: 0x600b4844,
    },
    spi: spiS2Layout(0x60003000),
    flashFreq: { '80m': 0xf, '40m': 0x0, '20m': 0x2 },
    irom: [0x42000000, 0x44000000],
    drom: [0x42000000, 0x44000000],
    stubFiles: ['esp32c5'],
    rustTriples: ['riscv32imac-unknown-none-elf'],
    maxFlashSize: 32 * MiB,
    imageFlashSegmentMinTail: 0,
    arch: 'riscv',
    uf2FamilyId: 0xf71c0343,
    identity: {
      majorRev: [bit(0x600b484c, 4, 2)],
      minorRev: [bit(0x600b484c, 0, 4)],
      crystal: { uartClkDiv: UART_CLKDIV, xtalClkDivider: 1 },
      features: ['Wi-Fi 6 (2.4 and 5 GHz)', 'BLE', 'IEEE 802.15.4', 'Single Core + LP Core'],
      ...sKeyBlocks(0x600b4800),
    },
  },
  esp32c6: {
    name: 'esp32c6',
    displayName: 'ESP32-C6',
    imageChipId: 13,
    magicValues: [0x2ce0806f],
    securityInfo: 'full',
    romStatusLength: 4,
    romEncryptedFlag: true,
    romHasEsp32Commands: true,
    bootloaderOffset: 0x0,
    encryptedWriteAlign: 16,
    cryptScheme: 'xts-aes',
    xtsKeySizes: [32],
    efuse: {
      cryptCounter: { addr: 0x600b0834, shift: 18, bits: 3 },
      downloadEncryptDisabled: { addr: 0x600b0830, shift: 20, bits: 1 },
      secureBoot: { addr: 0x600b0838, shift: 20, bits: 1 },
      keyPresence: { kind: 'key-purpose', purposes: s2LayoutPurposes(0x600b0834, 0x600b0838), accepts256: false },
      macWord0: 0x600b0844,
    },
    spi: spiS2Layout(0x60003000),
    // esptool encodes "80m" as 0 on C6 (ROM divider bug), §6.1.
    flashFreq: { '80m': 0x0, '40m': 0x0, '20m': 0x2 },
    irom: [0x42000000, 0x42800000],
    drom: [0x42800000, 0x43000000],
    stubFiles: ['esp32c6'],
    rustTriples: ['riscv32imac-unknown-none-elf', 'riscv32imac-esp-espidf'],
    maxFlashSize: 16 * MiB,
    imageFlashSegmentMinTail: 0,
    arch: 'riscv',
    uf2FamilyId: 0x540ddf62,
    identity: {
      majorRev: [bit(0x600b0850, 22, 2)],
      minorRev: [bit(0x600b0850, 18, 4)],
      crystal: { fixedMHz: 40 },
      features: ['Wi-Fi 6', 'BLE', 'IEEE 802.15.4', 'Single Core + LP Core'],
      ...sKeyBlocks(0x600b0800),
    },
  },
  esp32h2: {
    name: 'esp32h2',
    displayName: 'ESP32-H2',
    imageChipId: 16,
    magicValues: [0xd7b73e80],
    securityInfo: 'full',
    romStatusLength: 4,
    romEncryptedFlag: true,
    romHasEsp32Commands: true,
    bootloaderOffset: 0x0,
    encryptedWriteAlign: 16,
    cryptScheme: 'xts-aes',
    xtsKeySizes: [32],
    efuse: {
      cryptCounter: { addr: 0x600b0834, shift: 18, bits: 3 },
      downloadEncryptDisabled: { addr: 0x600b0830, shift: 20, bits: 1 },
      secureBoot: { addr: 0x600b0838, shift: 20, bits: 1 },
      keyPresence: { kind: 'key-purpose', purposes: s2LayoutPurposes(0x600b0834, 0x600b0838), accepts256: false },
      macWord0: 0x600b0844,
    },
    spi: spiS2Layout(0x60003000),
    flashFreq: { '48m': 0xf, '24m': 0x0, '16m': 0x1, '12m': 0x2 },
    irom: [0x42000000, 0x42800000],
    drom: [0x42800000, 0x43000000],
    stubFiles: ['esp32h2'],
    rustTriples: ['riscv32imac-unknown-none-elf', 'riscv32imac-esp-espidf'],
    maxFlashSize: 16 * MiB,
    imageFlashSegmentMinTail: 0,
    arch: 'riscv',
    uf2FamilyId: 0x332726f6,
    identity: {
      majorRev: [bit(0x600b0850, 21, 2)],
      minorRev: [bit(0x600b0850, 18, 3)],
      crystal: { fixedMHz: 32 },
      features: ['BLE', 'IEEE 802.15.4', 'Single Core'],
      ...sKeyBlocks(0x600b0800),
    },
  },
  esp32p4: {
    name: 'esp32p4',
    displayName: 'ESP32-P4',
    imageChipId: 18,
    magicValues: [0x00000000, 0x0addbad0],
    securityInfo: 'full',
    romStatusLength: 4,
    romEncryptedFlag: true,
    romHasEsp32Commands: true,
    bootloaderOffset: 0x2000,
    encryptedWriteAlign: 16,
    cryptScheme: 'xts-aes',
    xtsKeySizes: [32, 64],
    efuse: {
      cryptCounter: { addr: 0x5012d034, shift: 18, bits: 3 },
      downloadEncryptDisabled: { addr: 0x5012d030, shift: 20, bits: 1 },
      secureBoot: { addr: 0x5012d038, shift: 20, bits: 1 },
      keyPresence: {
        kind: 'key-purpose',
        purposes: s2LayoutPurposes(0x5012d034, 0x5012d038),
        accepts256: true,
        keyManagerForced: { addr: 0x5012d034, shift: 10, bits: 1 },
      },
      macWord0: 0x5012d044,
    },
    spi: spiS2Layout(0x5008d000),
    flashFreq: FREQ_STD,
    irom: [0x40000000, 0x4c000000],
    drom: [0x40000000, 0x4c000000],
    stubFiles: ['esp32p4', 'esp32p4-rev1'],
    rustTriples: ['riscv32imafc-unknown-none-elf'],
    maxFlashSize: 64 * MiB,
    imageFlashSegmentMinTail: 0,
    arch: 'riscv',
    uf2FamilyId: 0x3d308e94,
    identity: {
      majorRev: [bit(0x5012d04c, 4, 2, 0), bit(0x5012d04c, 23, 1, 2)],
      minorRev: [bit(0x5012d04c, 0, 4)],
      crystal: { fixedMHz: 40 },
      features: ['Dual Core + LP Core', 'no radio'],
      ...sKeyBlocks(0x5012d000),
    },
  },
};

/** Chips the flasher and the virtual chip support, in table order. */
export const CHIP_NAMES = Object.keys(CHIPS) as ChipName[];

/** Address READ_REG reads to tell chips apart when GET_SECURITY_INFO cannot. */
export const CHIP_MAGIC_REG = 0x40001000;

/** Key purpose values (S2 and later). */
export const KEY_PURPOSE = { XTS_AES_256_KEY_1: 2, XTS_AES_256_KEY_2: 3, XTS_AES_128_KEY: 4 } as const;

export function isChipName(name: string): name is ChipName {
  return Object.prototype.hasOwnProperty.call(CHIPS, name);
}

/** Facts for a chip; accepts "ESP32-S3", "esp32s3", "esp32-s3". */
export function chipFacts(name: string): ChipFacts {
  const key = normalizeChipName(name);
  if (!key) {
    throw new InputError(`Unknown chip "${name}". Known chips: ${CHIP_NAMES.join(', ')}.`);
  }
  return CHIPS[key];
}

export function normalizeChipName(name: string): ChipName | undefined {
  const key = name.toLowerCase().replace(/[-_\s]/g, '');
  return isChipName(key) ? key : undefined;
}

export function chipByImageId(id: number): ChipFacts | undefined {
  return CHIP_NAMES.map((n) => CHIPS[n]).find((c) => c.imageChipId === id);
}

export function chipByMagic(magic: number): ChipFacts | undefined {
  const m = magic >>> 0;
  return CHIP_NAMES.map((n) => CHIPS[n]).find((c) => c.magicValues.includes(m));
}

export function readField(word: number, f: RegField): number {
  return (word >>> f.shift) & ((1 << f.bits) - 1);
}

/** Flash encryption is on when the crypt counter has an odd number of 1 bits (§3.5). */
export function cryptCounterEnabled(counter: number): boolean {
  let ones = 0;
  for (let v = counter; v; v >>>= 1) ones += v & 1;
  return ones % 2 === 1;
}

/** Flash size strings used in headers and flasher_args ("4MB"), in header-nibble order. */
export const FLASH_SIZES = ['1MB', '2MB', '4MB', '8MB', '16MB', '32MB', '64MB', '128MB'] as const;

export function flashSizeBytes(size: string): number | undefined {
  const m = /^(\d+)(KB|MB)$/i.exec(size.trim());
  if (!m) return undefined;
  return Number(m[1]) * (m[2].toUpperCase() === 'MB' ? MiB : 1024);
}

export const FLASH_MODES = ['qio', 'qout', 'dio', 'dout'] as const;
export type FlashMode = (typeof FLASH_MODES)[number];

/**
 * Mask-ROM code address range of each chip (instruction bus, from the technical reference
 * manuals' address maps). Crash decoding names an address here "in ROM".
 */
export const ROM_CODE: Record<ChipName, [number, number]> = {
  esp8266: [0x40000000, 0x40010000],
  esp32: [0x40000000, 0x40070000],
  esp32s2: [0x40000000, 0x40020000],
  esp32s3: [0x40000000, 0x40060000],
  esp32c2: [0x40000000, 0x40090000],
  esp32c3: [0x40000000, 0x40060000],
  esp32c5: [0x40000000, 0x40050000],
  esp32c6: [0x40000000, 0x40050000],
  esp32h2: [0x40000000, 0x40020000],
  esp32p4: [0x4fc00000, 0x4fc20000],
};
