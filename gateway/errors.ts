import {
  coerceInputValue,
  GraphQLError,
  isInputType,
  isNonNullType,
  Kind,
  print,
  typeFromAST,
  visit,
  type ArgumentNode,
  type ASTNode,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValueNode,
} from 'graphql';
import { inspect } from 'graphql/jsutils/inspect';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';

/**
 * Errors as the client should see them. Every error the gateway returns carries a stable
 * `extensions.code`, and errors about input name what the client sent — its own variables and
 * arguments, with `extensions.field` as a path into them (`input.quota.period`, `ids[2]`) — never
 * the variables the gateway made up when it forwarded the operation to a subgraph.
 *
 * - Variable values are coerced here before execution (the same rules and messages as
 *   graphql-js), so a bad `$first` or an unknown field in `$input` is BAD_USER_INPUT with `field`.
 * - Bad literal values (`plans(first: 1.5)`, `input: { foo: 1 }`) fail validation; they become
 *   BAD_USER_INPUT with `field` too. Other validation errors stay GRAPHQL_VALIDATION_FAILED.
 * - Custom scalars (DateTime, …) are checked by the subgraph that owns them, against variables
 *   the query planner named (`$_unmatchedUsage_from`); such errors are renamed back to the
 *   client's variable, or to its argument when it wrote the value inline.
 * - `withStableCode` (called from the gateway's maskError, which sees every error on its way
 *   out) gives any error still without a code one from its HTTP status.
 */

const MAX_VARIABLE_ERRORS = 50;

/** Path inside a value as graphql-js prints it: `.key` for fields, `[i]` for list items. */
function printPath(path: readonly (string | number)[]): string {
  return path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${key}`)).join('');
}

/** `Field "period" of required type …` / `Field "X.period" …` / `Field "foo" is not defined …`. */
const NAMED_FIELD = /^Field "(?:[_A-Za-z][_0-9A-Za-z]*\.)?([_A-Za-z][_0-9A-Za-z]*)" (?:of required type|is not defined by type)/;

/** The path of the offending input field: the value's path, plus the field a message names. */
function fieldPath(base: string, message: string): string {
  const named = NAMED_FIELD.exec(message);
  return named ? `${base}.${named[1]}` : base;
}

export function badUserInput(
  message: string,
  field: string,
  options: { nodes?: ASTNode | readonly ASTNode[]; originalError?: Error } = {},
): GraphQLError {
  return new GraphQLError(message, {
    nodes: options.nodes,
    originalError: options.originalError,
    extensions: { code: 'BAD_USER_INPUT', field, http: { status: 400 } },
  });
}

/**
 * Coerces the client's variables as graphql-js would before execution, returning its errors as
 * BAD_USER_INPUT with `field` = the variable's name and the path inside it; [] when they are fine.
 */
export function variableErrors(schema: GraphQLSchema, operation: OperationDefinitionNode, inputs: Record<string, unknown>): GraphQLError[] {
  const errors: GraphQLError[] = [];
  const full = new Error('too many variable errors');
  try {
    for (const definition of operation.variableDefinitions ?? []) {
      const name = definition.variable.name.value;
      const type = typeFromAST(schema, definition.type);
      // An unknown or output type was refused by validation already.
      if (!type || !isInputType(type)) continue;
      if (!Object.prototype.hasOwnProperty.call(inputs, name)) {
        if (!definition.defaultValue && isNonNullType(type)) {
          errors.push(
            badUserInput(`Variable "$${name}" of required type "${print(definition.type)}" was not provided.`, name, { nodes: definition }),
          );
        }
        continue;
      }
      const value = inputs[name];
      if (value === null && isNonNullType(type)) {
        errors.push(
          badUserInput(`Variable "$${name}" of non-null type "${print(definition.type)}" must not be null.`, name, { nodes: definition }),
        );
        continue;
      }
      coerceInputValue(value, type, (path, invalid, error) => {
        const at = path.length ? ` at "${name}${printPath(path)}"` : '';
        errors.push(
          badUserInput(
            `Variable "$${name}" got invalid value ${inspect(invalid)}${at}; ${error.message}`,
            fieldPath(`${name}${printPath(path)}`, error.message),
            {
              nodes: definition,
              originalError: error,
            },
          ),
        );
        if (errors.length >= MAX_VARIABLE_ERRORS) throw full;
      });
    }
  } catch (error) {
    if (error !== full) throw error;
    errors.push(
      new GraphQLError('Too many errors processing variables, error limit reached. Execution aborted.', {
        extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
      }),
    );
  }
  return errors;
}

const VALUE_KINDS = new Set<string>([
  Kind.OBJECT_FIELD,
  Kind.OBJECT,
  Kind.LIST,
  Kind.INT,
  Kind.FLOAT,
  Kind.STRING,
  Kind.BOOLEAN,
  Kind.NULL,
  Kind.ENUM,
]);

/** The path from `value` down to `target` (field names and `[i]`), or null when it is not inside. */
function pathTo(value: ValueNode, target: ASTNode, path: (string | number)[] = []): (string | number)[] | null {
  if (value === target) return path;
  if (value.kind === Kind.OBJECT) {
    for (const field of value.fields) {
      if (field === target) return [...path, field.name.value];
      const found = pathTo(field.value, target, [...path, field.name.value]);
      if (found) return found;
    }
  } else if (value.kind === Kind.LIST) {
    for (let i = 0; i < value.values.length; i++) {
      const found = pathTo(value.values[i], target, [...path, i]);
      if (found) return found;
    }
  }
  return null;
}

/** Where a literal value sits in the client's document: which argument (of which field) and the path in it. */
function locateLiteral(document: DocumentNode, target: ASTNode): { owner: string; root: string; path: (string | number)[] } | null {
  let located: { owner: string; root: string; path: (string | number)[] } | null = null;
  const inArguments = (args: readonly ArgumentNode[] | undefined, owner: string) => {
    for (const argument of args ?? []) {
      const path = pathTo(argument.value, target);
      if (path) located = { owner: `Argument "${argument.name.value}" of ${owner}`, root: argument.name.value, path };
    }
  };
  visit(document, {
    Field(node) {
      inArguments(node.arguments, `"${node.name.value}"`);
      return located ? false : undefined;
    },
    Directive(node) {
      inArguments(node.arguments, `"@${node.name.value}"`);
      return located ? false : undefined;
    },
    VariableDefinition(node) {
      const path = node.defaultValue && pathTo(node.defaultValue, target);
      if (path) located = { owner: `The default value of "$${node.variable.name.value}"`, root: node.variable.name.value, path };
      return located ? false : undefined;
    },
  });
  return located;
}

/**
 * A validation error about a literal value (wrong type, unknown or missing input field) as
 * BAD_USER_INPUT naming the argument and path; any other validation error as it is.
 */
export function literalError(document: DocumentNode, error: GraphQLError): GraphQLError {
  const node = error.nodes?.[0];
  // Already done (validation results are cached and come back through here).
  if (error.extensions?.code === 'BAD_USER_INPUT') return error;
  if (!node || !VALUE_KINDS.has(node.kind)) return error;
  const located = locateLiteral(document, node);
  if (!located) return error;
  // A missing field is reported on its object, an unknown one on itself (already in the path).
  const base = `${located.root}${printPath(located.path)}`;
  const field = node.kind === Kind.OBJECT ? fieldPath(base, error.message) : base;
  const at = located.path.length ? ` at "${located.root}${printPath(located.path)}"` : '';
  return new GraphQLError(`${located.owner} has an invalid value${at}: ${error.message}`, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    originalError: error.originalError ?? undefined,
    extensions: { ...error.extensions, code: 'BAD_USER_INPUT', field },
  });
}

interface VariableUse {
  field: string;
  responseKey: string;
  argument: string;
  /** Path from the argument's value down to the variable (usually empty). */
  path: (string | number)[];
}

/** Where a subgraph request uses one of its variables (the first field argument that does). */
function useOf(document: DocumentNode, variable: string): VariableUse | null {
  let use: VariableUse | null = null;
  const find = (value: ValueNode, path: (string | number)[]): (string | number)[] | null => {
    if (value.kind === Kind.VARIABLE) return value.name.value === variable ? path : null;
    if (value.kind === Kind.OBJECT) {
      for (const f of value.fields) {
        const found = find(f.value, [...path, f.name.value]);
        if (found) return found;
      }
    }
    if (value.kind === Kind.LIST) {
      for (let i = 0; i < value.values.length; i++) {
        const found = find(value.values[i], [...path, i]);
        if (found) return found;
      }
    }
    return null;
  };
  visit(document, {
    Field(node) {
      for (const argument of node.arguments ?? []) {
        const path = find(argument.value, []);
        if (path) {
          use = { field: node.name.value, responseKey: node.alias?.value ?? node.name.value, argument: argument.name.value, path };
          return false;
        }
      }
      return undefined;
    },
  });
  return use;
}

/** The client's fields named `name` that pass `argument`, in its operation and fragments. */
function clientFields(info: GraphQLResolveInfo, name: string, argument: string): FieldNode[] {
  const found: FieldNode[] = [];
  const roots: (OperationDefinitionNode | FragmentDefinitionNode)[] = [info.operation, ...Object.values(info.fragments)];
  for (const root of roots) {
    visit(root, {
      Field(node) {
        if (node.name.value === name && node.arguments?.some((a) => a.name.value === argument)) found.push(node);
      },
    });
  }
  return found;
}

/**
 * Follows `path` through the client's argument value: the client's variable (and the rest of
 * the path inside it) where it used one, else null (the value is written inline).
 */
function clientVariableAt(value: ValueNode, path: (string | number)[]): { name: string; path: (string | number)[] } | null {
  let current: ValueNode | undefined = value;
  for (let i = 0; current; i++) {
    if (current.kind === Kind.VARIABLE) return { name: current.name.value, path: path.slice(i) };
    if (i >= path.length) return null;
    const key: string | number = path[i];
    if (current.kind === Kind.OBJECT) current = current.fields.find((f) => f.name.value === key)?.value;
    else if (current.kind === Kind.LIST && typeof key === 'number') current = current.values[key];
    else return null;
  }
  return null;
}

const SUBGRAPH_VARIABLE = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" /;

/**
 * A subgraph's error about one of the variables of the request the gateway sent it, told in
 * the client's terms: its variable when it sent one, else its argument. Other errors as they are.
 */
export function clientVariableError(error: GraphQLError, document: DocumentNode, info: GraphQLResolveInfo | undefined): GraphQLError {
  const match = SUBGRAPH_VARIABLE.exec(error.message);
  if (!match) return error;
  const upstream = match[1];
  const use = useOf(document, upstream);
  if (!use) return error;
  // The path the subgraph printed, inside its variable (` at "_x_from.a[0]"`).
  const printed = new RegExp(` at "${upstream}((?:\\.[_A-Za-z][_0-9A-Za-z]*|\\[\\d+\\])*)"`).exec(error.message);
  const inside: (string | number)[] = [];
  for (const [, key, index] of (printed?.[1] ?? '').matchAll(/\.([_A-Za-z][_0-9A-Za-z]*)|\[(\d+)\]/g))
    inside.push(index !== undefined ? Number(index) : key);
  const argumentPath = [...use.path, ...inside];

  const candidates = info ? clientFields(info, use.field, use.argument) : [];
  const field = candidates.find((f) => (f.alias?.value ?? f.name.value) === use.responseKey) ?? candidates[0];
  const value = field?.arguments?.find((a) => a.name.value === use.argument)?.value;
  const variable = value ? clientVariableAt(value, argumentPath) : null;

  // "got invalid value …; <reason>" or "of required type …": said of the client's variable or argument.
  const body = error.message.slice(match[0].length);
  const [owner, path, depth] = variable
    ? [`Variable "$${variable.name}"`, `${variable.name}${printPath(variable.path)}`, variable.path.length]
    : [`Argument "${use.argument}" of "${use.field}"`, `${use.argument}${printPath(argumentPath)}`, argumentPath.length];
  const at = depth ? ` at "${path}"` : '';
  const rest = printed
    ? body.replace(printed[0], () => at)
    : body.replace(/^(got invalid value .*?)(; )/s, (_, head: string, sep: string) => `${head}${at}${sep}`);
  const message = `${owner} ${rest}`;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: {
      ...error.extensions,
      code: error.extensions?.code ?? 'BAD_USER_INPUT',
      field: fieldPath(path, rest.replace(/^.*?; /s, '')),
    },
  });
}

function renameErrors(result: ExecutionResult, document: DocumentNode, info: GraphQLResolveInfo | undefined): ExecutionResult | null {
  if (!result.errors?.some((e) => SUBGRAPH_VARIABLE.test(e.message))) return null;
  return { ...result, errors: result.errors.map((e) => clientVariableError(e, document, info)) };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** The plugin that puts the rules above in place (see the top of this file). */
export function useClientErrors(): GatewayPlugin {
  const checkVariables = ({
    args,
    setResultAndStopExecution,
  }: {
    args: { schema: GraphQLSchema; document: DocumentNode; operationName?: string | null; variableValues?: unknown };
    setResultAndStopExecution(result: ExecutionResult): void;
  }) => {
    const operations = args.document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const operation = args.operationName
      ? operations.find((o) => o.name?.value === args.operationName)
      : operations.length === 1
        ? operations[0]
        : undefined;
    // No unique operation: execution reports that itself.
    if (!operation) return;
    const inputs = (args.variableValues ?? {}) as Record<string, unknown>;
    if (typeof inputs !== 'object') return;
    const errors = variableErrors(args.schema, operation, inputs);
    if (errors.length) setResultAndStopExecution({ errors });
  };
  return {
    onValidate({ params }) {
      return ({ valid, result, setResult }) => {
        if (valid) return;
        setResult(result.map((error) => literalError(params.documentAST, error)));
      };
    },
    onExecute: checkVariables as never,
    onSubscribe: checkVariables as never,
    onSubgraphExecute({ executionRequest }) {
      const { document, info } = executionRequest;
      return ({ result, setResult }) => {
        if (!isAsyncIterable(result)) {
          const renamed = renameErrors(result, document, info);
          if (renamed) setResult(renamed);
          return;
        }
        return {
          onNext({ result: next, setResult: setNext }) {
            const renamed = renameErrors(next, document, info);
            if (renamed) setNext(renamed);
          },
        };
      };
    },
  };
}

/** Codes for errors that carry an HTTP status but no code (from Yoga and its plugins). */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'BAD_REQUEST',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

/**
 * Gives an error without `extensions.code` one: BAD_USER_INPUT for a variable graphql-js could
 * not coerce, else one from its HTTP status, else INTERNAL_SERVER_ERROR for a field error and
 * BAD_REQUEST for a request error. Errors that have a code keep it.
 */
export function withStableCode<E extends Error>(error: E): E {
  if (!(error instanceof GraphQLError)) return error;
  const extensions = error.extensions as Record<string, unknown>;
  if (typeof extensions.code === 'string' && extensions.code) return error;
  const status = (extensions.http as { status?: number } | undefined)?.status;
  let code: string;
  if (error.nodes?.[0]?.kind === Kind.VARIABLE_DEFINITION) code = 'BAD_USER_INPUT';
  else if (status && CODE_BY_STATUS[status]) code = CODE_BY_STATUS[status];
  else if (status && status >= 500) code = 'INTERNAL_SERVER_ERROR';
  else code = error.path ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
  extensions.code = code;
  return error;
}

/**
 * Tags every error a plugin throws while it handles a request (e.g. the JWT plugin refusing a
 * token) with `code`, unless it has one.
 */
export function withErrorCode<P extends GatewayPlugin>(plugin: P, code: string): P {
  const tag = (error: unknown) => {
    if (error instanceof GraphQLError) {
      const extensions = error.extensions as Record<string, unknown>;
      if (!extensions.code) extensions.code = code;
    }
    return error;
  };
  const wrap = <A extends unknown[], R>(hook: ((...args: A) => R) | undefined) =>
    hook &&
    ((...args: A): R => {
      try {
        const result = hook(...args);
        if (result && typeof (result as { then?: unknown }).then === 'function') {
          return (result as unknown as Promise<unknown>).catch((error: unknown) => {
            throw tag(error);
          }) as R;
        }
        return result;
      } catch (error) {
        throw tag(error);
      }
    });
  const hooks = plugin as Record<string, unknown>;
  const onPluginInit = hooks.onPluginInit as ((payload: { addPlugin(plugin: GatewayPlugin): void }) => void) | undefined;
  return {
    ...plugin,
    onRequestParse: wrap(hooks.onRequestParse as never),
    onContextBuilding: wrap(hooks.onContextBuilding as never),
    // Plugins it adds (the mesh JWT plugin adds Yoga's, which does the checking) are wrapped too.
    ...(onPluginInit
      ? {
          onPluginInit: (payload: { addPlugin(plugin: GatewayPlugin): void }) =>
            onPluginInit({ ...payload, addPlugin: (added) => payload.addPlugin(withErrorCode(added, code)) }),
        }
      : {}),
  } as P;
}
