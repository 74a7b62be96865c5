/**
 * `npm run plangraph -- <command>`: the catalogue as code (docs/CATALOG-AS-CODE.md).
 *
 *   export [--output F]    the platform's catalogue as YAML on stdout, or into F
 *   diff FILE              what apply would change; exit 1 when anything differs
 *   apply FILE [--dry-run] make the platform match the file (--dry-run: print, write nothing)
 *   validate FILE          check the file only (no platform needed)
 *
 * Talks to PLANGRAPH_URL (the gateway's GraphQL URL) with PLANGRAPH_TOKEN (a portal admin's
 * token, never printed). Exit codes: 0 done / no differences, 1 differences found or an error,
 * 2 wrong usage or configuration. Only the catalogue goes to stdout; messages go to stderr.
 */
import fs from 'node:fs';
import { ConfigError, processConfig, processEnv } from '../common/config';
import { CatalogueFileError, formatCatalogue, parseCatalogue, type Catalogue } from './catalog/file';
import { ApiError, GraphqlClient } from './catalog/platform';
import { applyCatalogue, diffCatalogue, exportCatalogue, type Change, type Diff } from './catalog/sync';

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
}

const USAGE = `usage: npm run plangraph -- <command>
  export [--output <file>] print the platform's catalogue as YAML (npm run --silent plangraph -- export > catalog.yaml;
                           without --silent npm prints its banner to stdout too), or write it to <file>
  diff <file>              show what apply would change (exit 1 when something differs)
  apply <file> [--dry-run] make the platform match the file; --dry-run prints the changes and writes nothing
  validate <file>          check the file against schema/catalog.schema.json and its references
environment: PLANGRAPH_URL (the gateway's GraphQL URL), PLANGRAPH_TOKEN (a portal admin's bearer token)`;

const SIGN: Record<Change['action'], string> = { create: '+', update: '~', delete: '-' };

function describe(change: Change): string {
  const what = `${SIGN[change.action]} ${change.kind} ${change.name}`;
  if (change.action === 'update') return `${what}: ${change.fields.join(', ')}`;
  if (change.action === 'delete') return `${what} (${change.kind === 'catalog' ? 'deleted' : 'archived'})`;
  return what;
}

function counts(changes: Change[]): string {
  const n = (action: Change['action']) => changes.filter((c) => c.action === action).length;
  return `created ${n('create')}, updated ${n('update')}, deleted ${n('delete')}`;
}

function reportProblems(io: Io, diff: Diff): void {
  for (const p of diff.problems) io.stderr(`error: ${p.kind} ${p.name}: ${p.message}\n`);
  for (const note of diff.notes) io.stderr(`note: ${note}\n`);
}

function readFile(io: Io, file: string | undefined): Catalogue | number {
  if (!file) {
    io.stderr(`${USAGE}\n`);
    return 2;
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    io.stderr(`error: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
    return 1;
  }
  if (/^\s*> [^\s@]+@\S+ /.test(text)) {
    io.stderr(
      `error: ${file} starts with npm's script banner (\`> plangraph@…\`), not a catalogue: export with \`npm run --silent plangraph -- export > ${file}\` or \`npm run plangraph -- export --output ${file}\`\n`,
    );
    return 1;
  }
  try {
    return parseCatalogue(text, file);
  } catch (error) {
    if (error instanceof CatalogueFileError) {
      io.stderr(`${error.message}\n${file}: ${error.errors.length} error${error.errors.length === 1 ? '' : 's'}, nothing was done\n`);
      return 1;
    }
    throw error;
  }
}

export async function main(argv: string[], io: Io, env: NodeJS.ProcessEnv = processEnv()): Promise<number> {
  const outputAt = argv.findIndex((a) => a === '--output' || a === '-o');
  const output = outputAt >= 0 ? argv[outputAt + 1] : undefined;
  if (outputAt >= 0) argv = argv.filter((_, i) => i !== outputAt && i !== outputAt + 1);
  const flags = argv.filter((a) => a.startsWith('-'));
  const [command, file, ...rest] = argv.filter((a) => !a.startsWith('-'));
  if (outputAt >= 0 && (command !== 'export' || !output)) {
    io.stderr(`--output FILE goes with export only\n${USAGE}\n`);
    return 2;
  }
  const known = command === 'apply' ? ['--dry-run'] : [];
  const unknown = flags.filter((f) => !known.includes(f));
  if (
    !command ||
    rest.length ||
    unknown.length ||
    !['export', 'diff', 'apply', 'validate'].includes(command) ||
    (command === 'export' && file)
  ) {
    if (unknown.length) io.stderr(`unknown option ${unknown.join(', ')}\n`);
    io.stderr(`${USAGE}\n`);
    return 2;
  }
  if (command === 'validate') {
    const catalogue = readFile(io, file);
    if (typeof catalogue === 'number') return catalogue;
    io.stderr(
      `${file}: valid (${catalogue.products.length} products, ${catalogue.catalogs.length} catalogs, ${catalogue.plans.length} plans)\n`,
    );
    return 0;
  }
  let client: GraphqlClient;
  try {
    const { catalogClient } = processConfig('npm run plangraph', env);
    client = new GraphqlClient(catalogClient.url, catalogClient.token);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  try {
    if (command === 'export') {
      const result = await exportCatalogue(client);
      if (result.problems.length) {
        reportProblems(io, { changes: [], problems: result.problems, notes: [] });
        return 1;
      }
      for (const derived of result.derived) io.stderr(`note: ${derived} (derived from its name; apply sets it)\n`);
      const text = formatCatalogue(result.catalogue);
      if (output) {
        fs.writeFileSync(`${output}.tmp`, text);
        fs.renameSync(`${output}.tmp`, output);
        io.stderr(`wrote ${output}\n`);
      } else io.stdout(text);
      return 0;
    }
    const catalogue = readFile(io, file);
    if (typeof catalogue === 'number') return catalogue;
    if (command === 'diff') {
      const diff = await diffCatalogue(client, catalogue);
      for (const change of diff.changes) io.stdout(`${describe(change)}\n`);
      io.stdout(`${counts(diff.changes)}\n`);
      reportProblems(io, diff);
      return diff.changes.length || diff.problems.length ? 1 : 0;
    }
    const dryRun = flags.includes('--dry-run');
    const result = await applyCatalogue(client, catalogue, { dryRun });
    reportProblems(io, result);
    if (result.problems.length) {
      io.stderr(`nothing was applied: fix the errors above\n`);
      return 1;
    }
    for (const change of result.done) io.stdout(`${describe(change)}\n`);
    for (const p of result.proposals)
      io.stdout(`? plan ${p.plan}: ${p.fields.join(', ')} proposed as change request ${p.changeRequestId} (needs a second portal admin)\n`);
    io.stdout(`${dryRun ? 'dry run, nothing written: would have ' : ''}${counts(result.done)}, proposed ${result.proposals.length}\n`);
    for (const note of result.kept) io.stderr(`note: ${note}\n`);
    if (result.failed) {
      io.stderr(`error: ${describe(result.failed.change)}: ${result.failed.message}\n`);
      io.stderr('the changes listed above are done; fix the cause and apply again (apply continues where it stopped)\n');
      return 1;
    }
    return 0;
  } catch (error) {
    if (error instanceof ApiError) {
      io.stderr(`error: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`error: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
