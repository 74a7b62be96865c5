/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Jest's runtime with V8's code cache for the modules it compiles (test/runtime.cjs).
  runtime: '<rootDir>/test/runtime.cjs',
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
  // Three files at a time on two cores: most of a file's time is spent waiting on PostgreSQL and
  // child processes, so two workers left the cores idle (the suite is about 1,200 s of file time).
  maxWorkers: 3,
  verbose: false,
};
