/**
 * The one table of what each known flasher stub can do, and how an uploaded stub is recognised:
 * by its image (SHA-256 over the text segment followed by the data segment, first 128 bits), not
 * by probing it. Every write-method decision (src/core/flash/write_method.ts) reads this table.
 *
 * Known stubs and where each fact comes from:
 *  - esp-flasher-stub v1.2.2 (Apache-2.0 OR MIT; sources github.com/espressif/esp-flasher-stub).
 *    Shipped by esptool-js 0.7.0 in lib/targets/stub_flasher/: every image there is byte-identical
 *    (text and data) to esptool's esptool/targets/stub_flasher/2 at commit 4b64d42 ("Update flasher
 *    stub to v1.2.2"), whose README names the release tag v1.2.2. The mirror of esp-flasher-stub holds
 *    tags up to v1.1.0; its CHANGELOG for v1.2.0 adds only ESP32-S31 support, and esptool 4b64d42's
 *    message says v1.2.2 changes only the ESP32-P4 images. The protocol facts below are read from
 *    src/command_handler.c and src/commands.h at tag v1.1.0 (and unchanged from v0.7.0).
 *  - esp-flasher-stub v0.7.0 (Apache-2.0 OR MIT): esptool 4.12's stub_flasher/2 (its README names the
 *    tag v0.7.0); src/command_handler.c and src/commands.h at tag v0.7.0.
 *  - esptool-legacy-flasher-stub v1.11.1 (GPL-2.0-or-later; github.com/espressif/esptool-legacy-flasher-stub):
 *    esptool 4.12's stub_flasher/1 (its README names the tag v1.11.1); flasher_stub/stub_flasher.c
 *    (cmd_loop), flasher_stub/stub_write_flash.c and include/stub_flasher.h at tag v1.11.1, and
 *    CHANGELOG.md v1.10.0 "enable compress and encryption together".
 * We ship none of these binaries ourselves: the default stubs are read from the esptool-js package.
 */
import { createHash } from 'node:crypto';

export interface StubRelease {
  /** "esp-flasher-stub v1.2.2" */
  name: string;
  licence: string;
  /** The stub takes FLASH_DEFL_BEGIN/DATA/END. */
  compressedWrites: boolean;
  /**
   * How an uncompressed write is made encrypted: 'begin-flag' = a 20-byte FLASH_BEGIN whose 5th word
   * is 1; 'encrypt-data-op' = 16-byte FLASH_BEGIN + FLASH_ENCRYPT_DATA (0xD4) blocks.
   */
  encryptedWrites: 'begin-flag' | 'encrypt-data-op';
  /** A 20-byte FLASH_DEFL_BEGIN with 5th word 1 is used (the source may take it without us relying on it). */
  compressedEncryptedWrites: boolean;
  /** Largest FLASH_DATA/FLASH_DEFL_DATA payload (bytes). */
  maxBlockSize: number;
  /** READ_FLASH (0xD2) streaming read with the final MD5. */
  readFlash: boolean;
  /** SPI_FLASH_MD5 answered with 16 raw bytes. */
  md5: boolean;
  /** ERASE_FLASH (0xD0) and ERASE_REGION (0xD1). */
  erase: boolean;
  /** Opcode the stub refuses with (16-bit code as the host reads it) when it does not know a command. */
  unknownCommandCode: number;
  /**
   * Whole frames the stub holds: the one it works on plus those it has received meanwhile. It
   * ACKs a data block when it starts on it, so a host may have `receiveBuffers − 2` blocks in
   * flight beyond the one it waits for (segment_writer.ts); a frame beyond that is lost.
   */
  receiveBuffers: number;
}

/** esp-flasher-stub v0.7.0 … v1.2.2: facts common to the releases we know. */
const ESP_FLASHER_STUB_FACTS = {
  licence: 'Apache-2.0 OR MIT',
  // FLASH_DEFL_* handlers: s_flash_defl_begin / s_flash_defl_data (src/command_handler.c).
  compressedWrites: true,
  // s_init_flash_operation takes FLASH_BEGIN_SIZE (16) or FLASH_BEGIN_ENC_SIZE (20), the 5th word
  // sets s_flash_state.encrypt; 0xD4 has no handler (handle_command's default → RESPONSE_INVALID_COMMAND 0xC300).
  encryptedWrites: 'begin-flag',
  // The source would encrypt inflated data too (s_flash_defl_data_post_process → s_write_flash_data →
  // stub_lib_flash_write_buff(..., encrypt)), but no real-ROM run has proven it (this stub hangs before
  // OHAI on the QEMU ESP32 and traps on the QEMU C3), and esptool never combines the two: off until proven.
  compressedEncryptedWrites: false,
  // FRAME_BUFFER_SIZE / ESPTOOL_MAX_DATA_SIZE = 0x4000 + 0xFF payload bytes.
  maxBlockSize: 0x4000,
  // s_read_flash_post_process (max_unacked_packets forced to 1), s_spi_flash_md5, s_erase_flash, s_erase_region.
  readFlash: true,
  md5: true,
  erase: true,
  unknownCommandCode: 0xc300,
  // src/slip.c v0.7.0: SLIP_NUM_BUFFERS 2; src/frame_buffer.c v1.1.0: `s_buffers[2]`, "one being
  // received into, one being processed" (frame_buffer_acquire returns NULL when both are taken).
  receiveBuffers: 2,
} as const;

export const ESP_FLASHER_STUB_1_2_2: StubRelease = { name: 'esp-flasher-stub v1.2.2', ...ESP_FLASHER_STUB_FACTS };
export const ESP_FLASHER_STUB_0_7_0: StubRelease = { name: 'esp-flasher-stub v0.7.0', ...ESP_FLASHER_STUB_FACTS };

export const LEGACY_STUB_1_11_1: StubRelease = {
  name: 'esptool-legacy-flasher-stub v1.11.1',
  licence: 'GPL-2.0-or-later',
  // cmd_loop: ESP_FLASH_DEFLATED_BEGIN/DATA/END.
  compressedWrites: true,
  // Since v1.10.0 FLASH_BEGIN takes 16 or 20 bytes (5th word = encrypt_flag) and FLASH_DATA is
  // routed to handle_flash_encrypt_data when it is set; 0xD4 is kept as "deprecated". The flag is
  // what esptool 4.12 sends, so it is the route used here.
  encryptedWrites: 'begin-flag',
  // v1.10.0 "enable compress and encryption together" (handle_flash_deflated_data → handle_flash_data
  // → handle_flash_encrypt_data). On the real ESP32 ROM (QEMU, issue 11) it failed 5 runs in 12 while
  // the host kept two blocks in flight: the stub has two receive buffers (buf_a/buf_b in
  // stub_flasher.c) and ACKs a block when it starts on it, so a third block overwrote the one being
  // inflated. With one block at a time (segment_writer.ts DEFAULT_PIPELINE_DEPTH = 0) it passed
  // 20 runs of 20, also with the CPU busy (corpus 01, 921600): proven, so on. The ring's
  // `--encrypt` case (test/qemu/ring.test.ts) boots it on every CI run.
  compressedEncryptedWrites: true,
  // MAX_WRITE_BLOCK 0x4000 (include/stub_flasher.h); larger block_size in BEGIN → ESP_BAD_BLOCKSIZE.
  maxBlockSize: 0x4000,
  // ESP_READ_FLASH (handle_flash_read), ESP_FLASH_VERIFY_MD5 (16 raw bytes), ESP_ERASE_FLASH/REGION.
  readFlash: true,
  md5: true,
  erase: true,
  // esp_command_error ESP_CMD_NOT_IMPLEMENTED (0xFF) in the error byte.
  unknownCommandCode: 0xff00,
  // flasher_stub/stub_flasher.c: `uart_buf_t` holds buf_a and buf_b; the UART interrupt swaps
  // them at every frame end, so a third frame lands in the one being worked on.
  receiveBuffers: 2,
};

/**
 * What a stub we cannot identify (a --stub-dir image we do not know, or a stub found already
 * running) is trusted with: the protocol every esptool stub has spoken since 2016 (FLASH_DEFL_*,
 * 16-byte MD5, READ_FLASH, erase, 0x4000 blocks) and never compressed + encrypted. An encrypted
 * write asks with the FLASH_BEGIN flag: a stub that does not take the 5th word refuses the
 * 20-byte BEGIN (0xC000) before writing anything, where a 16-byte BEGIN could write plaintext.
 */
export const UNKNOWN_STUB: StubRelease = {
  name: 'unrecognised stub',
  licence: 'unknown',
  compressedWrites: true,
  encryptedWrites: 'begin-flag',
  compressedEncryptedWrites: false,
  maxBlockSize: 0x4000,
  readFlash: true,
  md5: true,
  erase: true,
  unknownCommandCode: 0xc300,
  // Every esptool stub since the legacy one's double buffer; fewer would make even one block
  // in flight unsafe, which no stub has needed.
  receiveBuffers: 2,
};

/** [image hash, stub file base name, release]: esptool-js 0.7.0, esptool 4.12 sets 2 and 1. */
const KNOWN_IMAGES: [string, string, StubRelease][] = [
  ['f45a88d48ce374b3d91b302e899ab737', 'esp32', ESP_FLASHER_STUB_1_2_2],
  ['fa46cb166f85792a124a3e0858af7b7f', 'esp32c2', ESP_FLASHER_STUB_1_2_2],
  ['d73bd88cdeac7b90c57821d81e77cb96', 'esp32c3', ESP_FLASHER_STUB_1_2_2],
  ['17fd3b3a86565bfc10b04348ab369754', 'esp32c5', ESP_FLASHER_STUB_1_2_2],
  ['65024e4ee67137a72ab912a0157bc317', 'esp32c6', ESP_FLASHER_STUB_1_2_2],
  ['30282f16552c9418c7a9aff2244c841c', 'esp32c61', ESP_FLASHER_STUB_1_2_2],
  ['3325fef8f79f75713c69dfd034dd04b4', 'esp32h2', ESP_FLASHER_STUB_1_2_2],
  ['dae241c0db791933c863c38da7c33308', 'esp32h4', ESP_FLASHER_STUB_1_2_2],
  ['86925465845d60bba51babd3443f012b', 'esp32p4-rev1', ESP_FLASHER_STUB_1_2_2],
  ['e0ea7ce52f3b854ac955af4fb1ad618b', 'esp32p4', ESP_FLASHER_STUB_1_2_2],
  ['99e52ab6e29848f1cb2d3aca4f7bb589', 'esp32s2', ESP_FLASHER_STUB_1_2_2],
  ['be0fa453e1b4089c9bcf57b51d4db0c3', 'esp32s3', ESP_FLASHER_STUB_1_2_2],
  ['cd3eeb49668ce78795f646d1e7b73ae0', 'esp32s31', ESP_FLASHER_STUB_1_2_2],
  ['31c99fe642b95433df972048227ed0cf', 'esp8266', ESP_FLASHER_STUB_1_2_2],
  ['4461a11c62470b93b3687767f553174b', 'esp32', ESP_FLASHER_STUB_0_7_0],
  ['9e649dd1b0e62c6acfa51bdab3c131ee', 'esp32c2', ESP_FLASHER_STUB_0_7_0],
  ['5314fc79b1df125912919751fdfea6ad', 'esp32c3', ESP_FLASHER_STUB_0_7_0],
  ['0b3144c867058146b8ba212c0d9868ca', 'esp32c5', ESP_FLASHER_STUB_0_7_0],
  ['d7fe819b6fb47854f9277eaa5ad20f7b', 'esp32c6', ESP_FLASHER_STUB_0_7_0],
  ['c1330b44e6a48f9bdcfb0fd6f921d099', 'esp32c61', ESP_FLASHER_STUB_0_7_0],
  ['8e9754399f3fd234d1862735ead6c21c', 'esp32h2', ESP_FLASHER_STUB_0_7_0],
  ['bf64a20b618bed33d30c2234b46a42ed', 'esp32p4-rev1', ESP_FLASHER_STUB_0_7_0],
  ['31c70553cd5298936997836443949f84', 'esp32p4', ESP_FLASHER_STUB_0_7_0],
  ['fb2b76f86638b8fe671389bf15fe2c39', 'esp32s2', ESP_FLASHER_STUB_0_7_0],
  ['6dfeaa4015540e2b1ed13daecda6a58d', 'esp32s3', ESP_FLASHER_STUB_0_7_0],
  ['5e85fec640fe097827364f506a0b0565', 'esp8266', ESP_FLASHER_STUB_0_7_0],
  ['0b0b386d6991888509b05fd73e1c4862', 'esp32', LEGACY_STUB_1_11_1],
  ['40a23c78e382d9f7593eb65286616735', 'esp32c2', LEGACY_STUB_1_11_1],
  ['ef242e82926cf76ea81d68cb246efa8c', 'esp32c3', LEGACY_STUB_1_11_1],
  ['113fd3149a378c3b9cb9764f827123f8', 'esp32c5', LEGACY_STUB_1_11_1],
  ['37757f45baa5a82ce9d50eac06b5e580', 'esp32c5beta3', LEGACY_STUB_1_11_1],
  ['721b7cf96ca3702d9f0db92696f504c1', 'esp32c6', LEGACY_STUB_1_11_1],
  ['65a2328e9d99aa2395ea470d894df145', 'esp32c61', LEGACY_STUB_1_11_1],
  ['e0997953ddb5f13521ce6648e0ac55c7', 'esp32c6beta', LEGACY_STUB_1_11_1],
  ['3b1c2b73855b245b680bcf06d351c304', 'esp32h2', LEGACY_STUB_1_11_1],
  ['24a1d770f5b655e0bf4cd8fa806a5dfc', 'esp32h2beta1', LEGACY_STUB_1_11_1],
  ['5d154966b1f995009af0aa405089095d', 'esp32h2beta2', LEGACY_STUB_1_11_1],
  ['acf5df17d1aef2d8680f56e879d8d72d', 'esp32p4-rev1', LEGACY_STUB_1_11_1],
  ['d282cae3be4b1c48126831a9444fc425', 'esp32s2', LEGACY_STUB_1_11_1],
  ['8b445b3a73c2de116b9951b815a9820a', 'esp32s3', LEGACY_STUB_1_11_1],
  ['b648b7e6ffd899c2541128cc8e12fac6', 'esp32s3beta2', LEGACY_STUB_1_11_1],
  ['2938963420ff337db4b1135cebdc7135', 'esp8266', LEGACY_STUB_1_11_1],
];

const BY_HASH = new Map(KNOWN_IMAGES.map(([h, file, release]) => [h, { file, release }]));

/** The identity hash of a stub image: SHA-256 of text then data, first 128 bits as hex. */
export function stubImageHash(text: Uint8Array, data?: Uint8Array): string {
  const h = createHash('sha256').update(text);
  if (data) h.update(data);
  return h.digest('hex').slice(0, 32);
}

export interface StubIdentity {
  hash: string;
  /** The known release, or undefined for an image not in the table. */
  release?: StubRelease;
  /** Chip file base name the known image was published as ("esp32", "esp32p4-rev1"). */
  chipFile?: string;
}

export function identifyStub(text: Uint8Array, data?: Uint8Array): StubIdentity {
  const hash = stubImageHash(text, data);
  const known = BY_HASH.get(hash);
  return known ? { hash, release: known.release, chipFile: known.file } : { hash };
}

/** Capabilities to use for a stub: the known release's, or the conservative set. */
export function stubCapabilities(id: StubIdentity | undefined): StubRelease {
  return id?.release ?? UNKNOWN_STUB;
}

/** Every known image hash (the virtual chip recognises uploads by them). */
export function knownStubImages(): readonly { hash: string; chipFile: string; release: StubRelease }[] {
  return KNOWN_IMAGES.map(([hash, chipFile, release]) => ({ hash, chipFile, release }));
}
