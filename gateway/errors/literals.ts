/** Bad literal values in the client's document (a validation error) as BAD_USER_INPUT naming the argument and path. */
import { GraphQLError, Kind, visit, type ArgumentNode, type ASTNode, type DocumentNode, type ValueNode } from 'graphql';
import { fieldPath, printPath } from './variables';

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
