import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../scripts/paths';

/**
 * The portal's typed documents (`portal/src/gql/`, committed) are what GraphQL Code Generator makes
 * from `schema/public.graphql` and the portal's operations now: a schema change or an edited
 * operation without `npm run portal:codegen` fails here. The generation also validates every
 * operation against the schema (an unknown field fails it). The generator runs as its own process,
 * as `npm run portal:codegen` runs it (it is an ES module Jest's CommonJS sandbox cannot load).
 */
describe('portal typed documents (portal/src/gql)', () => {
  const root = projectRoot();
  const committedDir = path.join(root, 'portal', 'src', 'gql');

  it('match a fresh generation from schema/public.graphql (run `npm run portal:codegen`)', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-gql-'));
    try {
      const outputDir = path.join(tmp, 'gql');
      const config = path.join(tmp, 'codegen.ts');
      fs.writeFileSync(
        config,
        `import { portalCodegenConfig } from ${JSON.stringify(path.join(root, 'portal', 'codegen'))};\n` +
          `export default portalCodegenConfig(${JSON.stringify(outputDir)});\n`,
      );
      await promisify(execFile)(
        process.execPath,
        [path.join(root, 'node_modules', '@graphql-codegen', 'cli', 'cjs', 'bin.js'), '--config', config],
        {
          cwd: root,
          timeout: 60_000,
        },
      );
      const fresh = fs.readdirSync(outputDir).sort();
      expect(fresh).toEqual(fs.readdirSync(committedDir).sort());
      for (const file of fresh) {
        expect({ file, content: fs.readFileSync(path.join(committedDir, file), 'utf8') }).toEqual({
          file,
          content: fs.readFileSync(path.join(outputDir, file), 'utf8'),
        });
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
