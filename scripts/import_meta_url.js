// Injected into the CommonJS bundles by scripts/build.mjs: `import.meta.url` of an ES module
// that was bundled (libdeflate's WebAssembly wrapper reads it when it loads) is the bundle's URL.
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;
