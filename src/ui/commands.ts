/** Every command id and the factory that builds its handler from the context. */
import * as vscode from 'vscode';
import { buildFlash, buildFlashEncrypted, buildFlashMonitor } from './commands/build_flash';
import type { CommandFactory } from './commands/common';
import { readDeviceInfo } from './commands/device_info';
import { eraseFlash, erasePartition } from './commands/erase';
import { flash, flashEncrypted, flashSegment, flashSegmentEncrypted } from './commands/flash';
import { flashAll, flashAllEncrypted, flashAllOverride, flashAllRetryFailed } from './commands/flash_all';
import { flashFile } from './commands/flash_file';
import { saveMergedImage } from './commands/save_merged_image';
import { flashAndMonitor, monitor, resetAndMonitor } from './commands/monitor';
import { cancel, pickBuildFolder, refresh, resetEncryptChoices, revealFile, showOutput } from './commands/project';
import { selectPort } from './commands/select_port';
import type { Ctx } from './ctx';
import type { FlashMapView } from './flash_map_view';

export function commandTable(map: FlashMapView): Record<string, CommandFactory> {
  return {
    'espFlasher.refresh': refresh,
    'espFlasher.flash': flash,
    'espFlasher.flashEncrypted': flashEncrypted,
    'espFlasher.buildAndFlash': buildFlash,
    'espFlasher.buildAndFlashEncrypted': buildFlashEncrypted,
    'espFlasher.buildFlashAndMonitor': buildFlashMonitor,
    'espFlasher.flashSegment': flashSegment,
    'espFlasher.flashSegmentEncrypted': flashSegmentEncrypted,
    'espFlasher.revealFile': revealFile,
    'espFlasher.erasePartition': erasePartition,
    'espFlasher.selectPort': selectPort,
    'espFlasher.readDeviceInfo': readDeviceInfo,
    'espFlasher.eraseFlash': eraseFlash,
    'espFlasher.showFlashMap': () => () => map.show(),
    'espFlasher.pickBuildFolder': pickBuildFolder,
    'espFlasher.resetEncryptChoices': resetEncryptChoices,
    'espFlasher.flashFile': flashFile,
    'espFlasher.cancel': cancel,
    'espFlasher.showOutput': showOutput,
    'espFlasher.saveMergedImage': saveMergedImage,
    'espFlasher.monitor': monitor,
    'espFlasher.flashAndMonitor': flashAndMonitor,
    'espFlasher.resetAndMonitor': resetAndMonitor,
    'espFlasher.flashAll': flashAll,
    'espFlasher.flashAllEncrypted': flashAllEncrypted,
    'espFlasher.flashAllRetryFailed': flashAllRetryFailed,
    'espFlasher.flashAllOverride': flashAllOverride,
  };
}

export function registerCommands(ctx: Ctx, map: FlashMapView): vscode.Disposable[] {
  return Object.entries(commandTable(map)).map(([id, factory]) => {
    const handler = factory(ctx);
    return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(...args);
      } catch (e) {
        // Last resort: a bug or an unexpected error must still reach the user readably.
        const text = e instanceof Error ? e.message : String(e);
        ctx.log('error', `${id}: ${text}`);
        ctx.prompter.notify('error', `ESP Flasher: ${text}`, ['Show Output'], () => ctx.output.show(true));
        return undefined;
      }
    });
  });
}
