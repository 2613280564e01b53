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
);
