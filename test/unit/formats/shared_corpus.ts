/**
 * Where the shared, read-only test inputs live (../shared beside the repository), and a
 * describe() that says so — with one passing test that logs it — when they are absent.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export const SHARED = path.resolve(__dirname, '../../..', '../shared');
export const CORPUS = path.join(SHARED, 'corpus');
export const IMAGES = path.join(SHARED, 'images');
export const hasShared = existsSync(CORPUS) && existsSync(IMAGES);

export function describeShared(title: string, fn: () => void): void {
  if (hasShared) {
    describe(title, fn);
    return;
  }
  describe(title, () => {
    it('shared corpus not present: skipped', function () {
      console.log(`      (${SHARED} not present: skipped "${title}")`);
      this.skip();
    });
  });
}
