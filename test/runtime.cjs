// The test runtime: Jest's own (jest-runtime), compiling each module once per worker process.
//
// Jest gives every test file a fresh module registry, so each file loads every module again —
// about 4,300 for a file that starts the platform (five subgraphs, the gateway and their
// dependencies). Jest compiles each one with `vm.compileFunction` in the file's context, which
// V8's compilation cache does not serve: every test file parsed and compiled the same JavaScript
// as the file before it (profile: `internalCompileFunction` 6.6 s of 71 s for six e2e files, and
// more in the functions compiled lazily afterwards).
//
// Here the module's function is compiled once as a context-independent `vm.Script` and bound to
// each test file's context with `runInContext`: the module still runs afresh in each file (the
// registry stays isolated, each file gets its own function object in its own realm), but its
// bytecode — including the inner functions compiled as they first ran — is V8's, shared.
//
// Dynamic `import()` in a module goes to Node's own loader (Jest's needs
// --experimental-vm-modules, which this project does not use; without it Jest refuses it).
const vm = require('node:vm');

const compileFunction = vm.compileFunction;
/** filename + parameters → the source compiled last and its script. */
const scripts = new Map();

vm.compileFunction = function compileOnce(code, params = [], options = {}) {
  const { filename, parsingContext } = options;
  const plain =
    typeof filename === 'string' &&
    parsingContext !== undefined &&
    options.cachedData === undefined &&
    options.produceCachedData === undefined &&
    options.contextExtensions === undefined &&
    options.lineOffset === undefined &&
    options.columnOffset === undefined;
  if (!plain) return compileFunction.call(this, code, params, options);
  const key = `${filename}\u0000${params.join(',')}`;
  let known = scripts.get(key);
  if (!known || known.code !== code) {
    // The wrapper has a line of its own, so the module's lines and columns are its own.
    const script = new vm.Script(`(function (${params.join(', ')}) {\n${code}\n})`, {
      filename,
      lineOffset: -1,
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    known = { code, script };
    scripts.set(key, known);
  }
  return known.script.runInContext(parsingContext);
};

module.exports = require('jest-runtime');
