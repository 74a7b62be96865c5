// Lint configuration: typescript-eslint for the code, graphql-eslint for the composed subgraph
// schemas (every type, field, argument and enum value described; one naming convention), and
// eslint-config-prettier last so formatting is left to Prettier alone.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import graphql from '@graphql-eslint/eslint-plugin';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'dist-*/**', '.data/**', 'coverage/**', 'test/tyk/vendor/**'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Input sanitisation matches control characters on purpose (names, descriptions, imported policy names).
      'no-control-regex': 'off',
    },
  },
  {
    // Tests, harnesses and benchmarks read GraphQL responses of many shapes; typing each one would
    // add noise, not safety. Product code stays free of `any`.
    files: ['test/**', 'bench/**', '**/*.test.ts', '**/*-harness.ts', 'test/kit/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      // Test helpers load heavy modules lazily, only when a suite needs them.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        fetch: 'readonly',
      },
    },
  },
  {
    // "Now" comes from the injected clock (common/clock.ts); elapsed time from performance.now().
    files: ['common/**/*.ts', 'gateway/**/*.ts', 'subgraphs/**/*.ts', 'scripts/**/*.ts'],
    ignores: ['common/clock.ts', '**/*.test.ts', '**/*-harness.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='Date'][property.name='now']",
          message:
            "Read the time from the injected clock (context.clock, the jobs' clock, entityNow: common/clock.ts); elapsed time: performance.now().",
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message:
            "Read the time from the injected clock (context.clock, the jobs' clock, entityNow: common/clock.ts); elapsed time: performance.now().",
        },
        {
          selector: "CallExpression[callee.name='Date']",
          message: 'Date() reads the system clock: use the injected clock (common/clock.ts).',
        },
      ],
    },
  },
  {
    files: ['schema/subgraphs/*.graphql'],
    languageOptions: { parser: graphql.parser },
    plugins: { '@graphql-eslint': graphql },
    rules: {
      '@graphql-eslint/require-description': [
        'error',
        {
          types: true,
          FieldDefinition: true,
          InputValueDefinition: true,
          EnumValueDefinition: true,
          ScalarTypeDefinition: true,
          // The operation root types are named by GraphQL itself; their fields carry the documentation.
          ignoredSelectors: ['[type=ObjectTypeDefinition][name.value=/^(Query|Mutation|Subscription)$/]'],
        },
      ],
      '@graphql-eslint/naming-convention': [
        'error',
        {
          types: 'PascalCase',
          FieldDefinition: 'camelCase',
          InputValueDefinition: 'camelCase',
          Argument: 'camelCase',
          EnumValueDefinition: 'UPPER_CASE',
          'FieldDefinition[parent.name.value=Query]': { forbiddenPrefixes: ['query', 'get'], forbiddenSuffixes: ['Query'] },
          'FieldDefinition[parent.name.value=Mutation]': { forbiddenPrefixes: ['mutation'], forbiddenSuffixes: ['Mutation'] },
          'FieldDefinition[parent.name.value=Subscription]': { forbiddenPrefixes: ['subscription'], forbiddenSuffixes: ['Subscription'] },
        },
      ],
      '@graphql-eslint/no-hashtag-description': 'error',
      '@graphql-eslint/no-typename-prefix': 'error',
      '@graphql-eslint/require-deprecation-reason': 'error',
      '@graphql-eslint/unique-enum-value-names': 'error',
      '@graphql-eslint/input-name': ['error', { checkInputType: false }],
    },
  },
  prettier,
);
