// Lint rules, including the dependency rules of ../shared/ARCHITECTURE.md:
// domain libs import no framework, libs never import apps, apps never import
// each other's internals, and only libs/config reads process.env.
import tseslint from 'typescript-eslint';

const FRAMEWORKS = ['@nestjs/*', 'typeorm', 'bullmq', 'ioredis', 'fastify', 'pg', 'better-sqlite3'];
const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Only libs/config reads the environment.' },
      ],
    },
  },
  {
    files: ['libs/acme/**/*.ts', 'libs/pki/**/*.ts', 'libs/challenges/**/*.ts', 'libs/lifecycle/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: restrict(
      [...FRAMEWORKS, '@rotor/*', '../../*/src/**', '**/apps/**'],
      'Domain libs import no framework and no other Rotor code (ARCHITECTURE.md, dependency rules).',
    ),
  },
  {
    files: ['libs/**/*.ts'],
    ignores: ['libs/acme/**', 'libs/pki/**', 'libs/challenges/**', 'libs/lifecycle/**', 'libs/testing/**'],
    rules: restrict(['@rotor/server', '**/apps/**'], 'Libs never import apps.'),
  },
  {
    files: ['apps/cli/**/*.ts'],
    rules: restrict(['**/apps/server/**', '../../server/**', '**/server/src/**'], 'The CLI uses only @rotor/server (its bootstrap).'),
  },
  {
    files: ['apps/server/**/*.ts'],
    rules: restrict(['**/apps/cli/**', '../../cli/**'], 'Apps never import each other.'),
  },
  {
    files: ['libs/config/**/*.ts', 'test/**/*.ts', '**/*.spec.ts', 'libs/testing/**/*.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
