import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { printSubgraphSchema } from '@apollo/subgraph';
import { composeServices } from '@theguild/federation-composition';
import { DEFAULT_PORTS } from '../common/config';
import { PgPubSub } from '../common/pubsub';
import { subgraphModules } from './subgraphs';
import { SCHEMA_DIR } from './paths';
import { valueTypes } from '../common/client/value-types';

export interface Composition {
  supergraph: string;
  publicSchema: string;
  subgraphs: Record<string, string>;
}

/** Composes every subgraph's SDL (built in memory, no database needed). */
export async function compose(): Promise<Composition> {
  const subgraphs: Record<string, string> = {};
  for (const module of subgraphModules()) {
    const schema = await module.buildSchema(new PgPubSub());
    subgraphs[module.name] = printSubgraphSchema(schema).trim() + '\n';
  }
  const result = composeServices(
    Object.entries(subgraphs).map(([name, sdl]) => ({
      name,
      url: `http://localhost:${DEFAULT_PORTS[name as keyof typeof DEFAULT_PORTS]}/graphql`,
      typeDefs: parse(sdl),
    })),
  );
  if (result.errors) {
    throw new Error(`composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`);
  }
  return { supergraph: result.supergraphSdl.trim() + '\n', publicSchema: result.publicSdl.trim() + '\n', subgraphs };
}

/** The files `npm run compose` writes, relative to schema/. */
export function compositionFiles(composition: Composition): Record<string, string> {
  const files: Record<string, string> = {
    'supergraph.graphql': composition.supergraph,
    'public.graphql': composition.publicSchema,
    // Types without an id, for the client cache settings in common/client/type-policies.ts.
    'client-value-types.json': `${JSON.stringify(valueTypes(composition.publicSchema), null, 2)}\n`,
  };
  for (const [name, sdl] of Object.entries(composition.subgraphs)) files[`subgraphs/${name}.graphql`] = sdl;
  return files;
}

async function main(): Promise<void> {
  const files = compositionFiles(await compose());
  fs.mkdirSync(path.join(SCHEMA_DIR, 'subgraphs'), { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(SCHEMA_DIR, file), content);
    console.log(`wrote schema/${file}`);
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
