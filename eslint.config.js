// ESLint flat config: typescript-eslint's type-aware recommended rules over the whole tree.
// Formatting is Prettier's job (npm run format:check); nothing here restates it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'runs/', '.cache/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'scripts/*.js', 'bin/*.js', 'test/fixtures/image/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
  },
);
