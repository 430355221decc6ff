// ESLint (flat config): typescript-eslint's recommended rules, minus the ones the code base
// deliberately does otherwise, plus the layer rule: src/core never imports vscode, the editor
// layer (src/ui, src/extension), the CLI (src/cli) or the virtual chip (src/sim).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'scripts/editor-tests/.tools/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // Bytes and protocol code use control characters and `any`-free casts on purpose.
      'no-control-regex': 'off',
      // Unused names are caught by tsc (noUnusedLocals / noUnusedParameters); `_name` marks intent.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }],
      // Test expectations spell out column padding literally.
      'no-regex-spaces': 'off',
      '@typescript-eslint/no-empty-object-type': 'off',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/core never imports vscode (the editor layer translates).' }],
          patterns: [
            { group: ['**/ui', '**/ui/**'], message: 'src/core never imports the editor layer (src/ui).' },
            { group: ['**/extension', '**/extension.ts'], message: 'src/core never imports the editor layer (src/extension.ts).' },
            { group: ['**/cli', '**/cli/**'], message: 'src/core never imports the CLI (src/cli).' },
            { group: ['**/sim', '**/sim/**'], message: 'src/core never imports the virtual chip (src/sim); entry points inject it.' },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests reach into results with non-null assertions and loose casts.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // A few tests load a module lazily with require() on purpose.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
);
