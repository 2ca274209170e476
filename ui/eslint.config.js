import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default defineConfig(
  // bindings.ts is generated from Rust by tauri-specta: its shape is the generator's.
  { ignores: ['dist/', 'src/lib/bindings.ts'] },
  js.configs.recommended,
  ts.configs.recommended,
  svelte.configs.recommended,
  svelte.configs.prettier,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      // TypeScript already checks every name (svelte-check); this rule knows neither types nor runes.
      'no-undef': 'off',
      // A leading underscore marks a parameter kept for its type (a mock's signature) or a value left out on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'], svelteConfig } },
    rules: {
      // {' '} keeps a space at the edge of an {#if} block, where Svelte would otherwise drop a plain one.
      'svelte/no-useless-mustaches': 'off',
      // A Set or Map in $state is replaced, never mutated; the others are plain lookups and registries, not state.
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
);
