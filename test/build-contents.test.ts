import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { SUBGRAPH_NAMES } from '../common/config';
import { projectRoot } from '../scripts/paths';

/**
 * The production build (`npm run build`: tsconfig.build.json, used by `npm start`, the Dockerfile
 * and the suites that start real processes) must hold product code only. Test infrastructure
 * (test/, the Tyk test server, harnesses, fixtures) and benchmarks (bench/) build separately
 * (tsconfig.tools.json). A product file that imports one of them pulls it into the build, so the
 * build's files are listed the way `tsc --listFilesOnly` does: its root files plus everything
 * they import, without type checking.
 */
const root = projectRoot();

/** The repository's own files a TypeScript project compiles, relative to the root, sorted. */
function compiledFiles(config: string): { files: string[]; program: ts.Program } {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(root, config),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (!parsed) throw new Error(`${config} could not be read`);
  // Only the repository's own files matter: dependencies are read as empty files, which keeps
  // the walk out of their declarations (ten times faster) and resolves our imports as before.
  const host = ts.createCompilerHost(parsed.options);
  const readSource = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) =>
    fileName.split(/[\\/]/).includes('node_modules')
      ? ts.createSourceFile(fileName, '', languageVersion)
      : readSource(fileName, languageVersion, ...rest);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, host });
  const files = program
    .getSourceFiles()
    .filter((file) => !program.isSourceFileDefaultLibrary(file) && !program.isSourceFileFromExternalLibrary(file))
    .map((file) => path.relative(root, file.fileName).split(path.sep).join('/'))
    .filter((file) => !file.startsWith('../') && !file.split('/').includes('node_modules'))
    .sort();
  return { files, program };
}

/** Why a file has no place in the production build, or null. */
function testOrBenchmarkCode(file: string): string | null {
  if (file.startsWith('test/')) return 'test infrastructure (test/)';
  if (file.startsWith('bench/')) return 'benchmark code (bench/)';
  if (/harness/i.test(path.basename(file))) return 'a test harness';
  if (/\.(test|spec)\.[cm]?[jt]s$/.test(file)) return 'a test file';
  return null;
}

/** The repository files a source file imports (relative specifiers, static or dynamic, and require). */
function localImports(file: string): { specifier: string; target: string }[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((imported) => imported.fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => ({
      specifier,
      target: path
        .relative(root, path.resolve(root, path.dirname(file), specifier))
        .split(path.sep)
        .join('/'),
    }));
}

describe('the production build', () => {
  let production: string[];
  beforeAll(() => {
    production = compiledFiles('tsconfig.build.json').files;
  });

  it('compiles every process it starts: the gateway, each subgraph and the start scripts', () => {
    // Guards the checks below against an empty or misread file list.
    for (const entry of ['gateway/index.ts', 'scripts/start-one.ts', 'scripts/start-all.ts', 'scripts/compose.ts', 'common/server.ts']) {
      expect(production).toContain(entry);
    }
    for (const name of SUBGRAPH_NAMES) expect(production).toContain(`subgraphs/${name}/index.ts`);
  });

  it('contains no test or benchmark code (test/, bench/, harnesses, *.test.ts, the Tyk test server)', () => {
    const offending = production.map((file) => ({ file, why: testOrBenchmarkCode(file) })).filter((entry) => entry.why !== null);
    expect(offending).toEqual([]);
  });

  it('has no product file that imports test/ or bench/', () => {
    const imports = production.flatMap((file) =>
      localImports(file)
        .filter(({ target }) => /^(test|bench)(\/|$)/.test(target))
        .map(({ specifier }) => ({ file, specifier })),
    );
    expect(imports).toEqual([]);
  });
});

describe('the tools build (tsconfig.tools.json)', () => {
  it('compiles the benchmark with the test code it uses, which the listing above would have caught', () => {
    const tools = compiledFiles('tsconfig.tools.json').files;
    expect(tools).toEqual(expect.arrayContaining(['bench/run.ts', 'bench/apollo-gateway.ts', 'test/tyk/server.ts', 'test/authz/table.ts']));
    expect(tools.filter((file) => testOrBenchmarkCode(file) !== null)).toEqual(
      expect.arrayContaining(['bench/run.ts', 'test/tyk/server.ts', 'test/kit/quota-warnings.ts']),
    );
  });
});

describe('deploy/Dockerfile', () => {
  it('copies into the runtime image only the build output, production dependencies, package.json and schema/', () => {
    const dockerfile = fs.readFileSync(path.join(root, 'deploy', 'Dockerfile'), 'utf8');
    const stages = dockerfile.split(/^FROM /m);
    const runtime = stages[stages.length - 1]!;
    const lines = runtime.split('\n').filter((line) => /^(COPY|ADD)\b/.test(line));
    // Nothing from the build context itself: only outputs of the build stage.
    expect(lines.filter((line) => !/\s--from=build\s/.test(line))).toEqual([]);
    const sources = lines.map(
      (line) =>
        line
          .split(/\s+/)
          .slice(1)
          .filter((word) => !word.startsWith('--'))[0],
    );
    expect(sources.sort()).toEqual(['/app/dist', '/app/node_modules', '/app/package.json', '/app/schema']);
  });
});
