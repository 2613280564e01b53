// Lint: ESLint's and typescript-eslint's recommended rules for all TypeScript, lit's
// recommended rules for the UI's templates. Formatting is Prettier's job (see .prettierrc.json).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import lit from 'eslint-plugin-lit';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'dist-cli/',
      'dist-gpucheck/',
      'test-results/',
      'bench-results/',
      'bench-out/',
      'scratch/',
      '.gpu/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      // `_`-prefixed names are deliberately unused (callback arity, destructuring)
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  { files: ['src/ui/**/*.ts'], ...lit.configs['flat/recommended'] },
  // The structure (issue 18): files under 500 lines and functions under 100, counted as `wc -l`
  // counts them (blank lines and comments included: a long comment is also a long file to read).
  // Import cycles and which folder may import which: tests/structure/imports.test.ts.
  {
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 500, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['error', { max: 100, skipBlankLines: false, skipComments: false }],
    },
  },
);
