// One Jest run covers every depth: unit specs beside the code (*.spec.ts),
// store tests on SQLite and PostgreSQL, e2e and interop tests under test/.
// @swc/jest transpiles TypeScript ~10x faster than ts-jest; type checking is
// done once by `npm run build` / `npm run lint`, not per test file.
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

const libs = ['acme', 'pki', 'challenges', 'store', 'jobs', 'config', 'observability', 'testing', 'lifecycle'];
const moduleNameMapper = Object.fromEntries(
  libs.map((l) => [`^@rotor/${l}$`, `<rootDir>/libs/${l}/src`]),
);
moduleNameMapper['^@rotor/server$'] = '<rootDir>/apps/server/src/main';

const common = {
  // jose is ESM-only; Node 20.19+ require()s it natively but Jest's module
  // system does not, so it is transpiled like our own sources.
  transform: { '^.+\\.(t|m?j)s$': ['@swc/jest', swc] },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  moduleNameMapper,
  testEnvironment: 'node',
  rootDir: __dirname,
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.test.ts'] },
  ],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
