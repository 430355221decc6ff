/**
 * The one table of chip facts. Every chip-dependent decision in the host, the plan readers
 * and the virtual chip reads this table; nothing else in the code base compares chip names.
 *
 * Sources: ../shared/docs/esp-serial-protocol.md §2.2, §3.4, §3.5, §3.7, §6.1, §6.3, §8.2.
 * MAC eFuse register addresses are not in that document; they are the `MAC_EFUSE_REG`
 * values of esptool's targets (word 0 at the address, word 1 four bytes after it).
 */

export type ChipName =
  | 'esp8266'
  | 'esp32'
  | 'esp32s2'
  | 'esp32s3'
  | 'esp32c2'
  | 'esp32c3'
  | 'esp32c5'
  | 'esp32c6'
  | 'esp32h2'
  | 'esp32p4';

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
  /**
   * The ROM loader's CHANGE_BAUDRATE cannot be relied on before the stub runs: on Espressif's
   * QEMU ESP32 (real ECO3 ROM) neither esptool 4.12 nor ESP Flasher hears the ROM again after
   * switching to 921600, so the stub is uploaded at 115200 there.
   */
  romBaudChangeUnproven?: boolean;
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
  },
  esp32: {
    name: 'esp32',
    displayName: 'ESP32',
    romBaudChangeUnproven: true,
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
    throw new Error(`Unknown chip "${name}". Known chips: ${CHIP_NAMES.join(', ')}.`);
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
