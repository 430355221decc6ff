/**
 * The editor's device cache store (src/core/flash/device_cache.ts): one JSON file per device in
 * the extension's global storage, `<globalStorage>/device-cache/<chip>-<mac>-<flash id>.json`,
 * through VS Code's file system API (written to a temporary file, then renamed).
 */
import * as vscode from 'vscode';
import type { DeviceCacheStore } from '../core/flash/device_cache';

export function globalStorageDeviceCache(globalStorage: vscode.Uri): DeviceCacheStore {
  const dir = vscode.Uri.joinPath(globalStorage, 'device-cache');
  const file = (key: string) => vscode.Uri.joinPath(dir, `${key}.json`);
  return {
    where: (key) => (file(key).scheme === 'file' ? file(key).fsPath : file(key).toString()),
    read: async (key) => {
      try {
        return new TextDecoder().decode(await vscode.workspace.fs.readFile(file(key)));
      } catch (e) {
        if (e instanceof vscode.FileSystemError && e.code === 'FileNotFound') return undefined;
        throw e;
      }
    },
    write: async (key, text) => {
      await vscode.workspace.fs.createDirectory(dir);
      const tmp = vscode.Uri.joinPath(dir, `${key}.json.${Date.now()}.tmp`);
      await vscode.workspace.fs.writeFile(tmp, new TextEncoder().encode(text));
      await vscode.workspace.fs.rename(tmp, file(key), { overwrite: true });
    },
  };
}
