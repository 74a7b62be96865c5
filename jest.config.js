/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/common', '<rootDir>/gateway', '<rootDir>/subgraphs', '<rootDir>/scripts', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
    // The Rust query planner's runtime loads its native planner with `import()`, which Jest's
    // CommonJS sandbox cannot run; compiled as CommonJS it becomes a `require` (Node runs it as is).
    '/@graphql-hive/router-runtime/dist/index\\.cjs$': [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs', target: 'es2022', esModuleInterop: true }, diagnostics: false },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!@graphql-hive/router-runtime/)'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  // Each test file gets a database of its own (test/helpers/suite-database.ts).
  setupFilesAfterEnv: ['<rootDir>/test/setup-database.ts'],
  globalSetup: '<rootDir>/test/global-setup.mjs',
  globalTeardown: '<rootDir>/test/global-teardown.mjs',
  testTimeout: 60000,
  maxWorkers: 2,
  verbose: false,
};
