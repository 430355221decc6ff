import * as assert from 'assert';
import * as vscode from 'vscode';
describe('plumbing', () => {
  it('runs in a remote extension host with the workspace open', () => {
    assert.ok(vscode.env.remoteName);
    assert.ok(vscode.workspace.workspaceFolders?.[0]);
    console.log(process.env.ESP_FLASHER_TEST_BUILD_SOURCE, vscode.workspace.workspaceFolders?.[0].uri.fsPath);
    assert.strictEqual(process.env.F2_FAIL, undefined);
  });
});
