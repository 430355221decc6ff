/**
 * Imported first by src/extension.ts: the moment the extension's bundle starts evaluating its
 * modules, so activate() can report how long loading took before it was called (issue 15).
 */
export const LOAD_STARTED = performance.now();
