import path from 'node:path';
import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * GraphQL Code Generator: typed documents for every `graphql(…)` in `portal/src`, from the public
 * schema (`schema/public.graphql`). `npm run portal:codegen` writes `portal/src/gql/` (committed);
 * test/portal-codegen.test.ts regenerates it elsewhere and fails when the two differ.
 */
export function portalCodegenConfig(outputDir = path.join(__dirname, 'src', 'gql')): CodegenConfig {
  return {
    schema: path.join(__dirname, '..', 'schema', 'public.graphql'),
    documents: [path.join(__dirname, 'src', '**', '*.{ts,tsx}'), `!${path.join(__dirname, 'src', 'gql', '**')}`],
    ignoreNoDocuments: false,
    silent: true,
    generates: {
      [`${outputDir}/`]: {
        preset: 'client',
        presetConfig: { fragmentMasking: false },
        config: {
          enumsAsTypes: true,
          useTypeImports: true,
          avoidOptionals: false,
          scalars: { DateTime: 'string', JSON: 'unknown', JSONObject: 'Record<string, unknown>' },
        },
      },
    },
  };
}

export default portalCodegenConfig();
