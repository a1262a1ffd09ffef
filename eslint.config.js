// ESLint flat config: typescript-eslint's type-aware recommended rules over the whole tree.
// Formatting is Prettier's job (npm run format:check); nothing here restates it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Node's globals, for the few plain JavaScript files (scripts, bin, a test fixture). */
const nodeGlobals = { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', setInterval: 'readonly' };

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'runs/', '.cache/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'scripts/*.js', 'bin/*.js', 'test/fixtures/image/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Unused on purpose: a leading underscore says so (rest siblings drop fields from a copy).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Interface implementations (Role.start, fakes) are async without awaiting: the interface returns a promise.
      '@typescript-eslint/require-await': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: nodeGlobals } },
);
