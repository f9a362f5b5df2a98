// The dashboard's lint: ESLint's, typescript-eslint's and react-hooks' recommended rules, run by
// `npm test` before the unit tests (`npm run lint`: a warning fails it too).
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import { defineConfig, globalIgnores } from 'eslint/config';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig([
  globalIgnores(['dist/', 'dist-update/', 'dist-feedback/', 'node_modules/', 'e2e/screenshots/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    // `const { omitted: _omitted, ...rest } = value` is how the code leaves a field out.
    rules: { '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }] },
  },
  { files: ['**/*.{ts,tsx}'], extends: [reactHooks.configs.flat.recommended] },
  {
    // Lines fit in 120 columns; only a bare URL or a regular expression may run longer. A long sentence is
    // split with `+` at a space, a long JSX text at a space between words.
    files: ['{src,test,e2e}/**/*.{js,mjs,ts,tsx}'],
    plugins: { '@stylistic': stylistic },
    rules: {
      '@stylistic/max-len': ['error', {
        code: 120,
        tabWidth: 2,
        ignoreUrls: true,
        ignoreRegExpLiterals: true,
      }],
    },
  },
  {
    // The browser tests: Node scripts that drive Chromium. The functions they hand to
    // `page.evaluate` run in the page, hence the browser's globals too.
    files: ['e2e/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    // The test wallet, bundled and injected into the page.
    files: ['e2e/wallet/extension.js'],
    languageOptions: { globals: globals.browser },
  },
]);
