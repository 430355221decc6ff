/**
 * `esp-flasher decrypt-image` — decrypt flash contents read back from a device, with the key
 * file, as `espsecure decrypt-flash-data` does (same options, same bytes).
 */
import type { CliContext } from './cli_context';
import { imageCryptUsage, runImageCrypt } from './cmd_encrypt_image';

export const usage = (): string => imageCryptUsage('decrypt');

export async function run(args: string[], out: (line: string) => void, ctx?: CliContext): Promise<number> {
  return runImageCrypt('decrypt', args, out, ctx);
}
