/** The client's variables coerced before execution: errors as BAD_USER_INPUT naming the variable and the path inside it. */
import {
  coerceInputValue,
  GraphQLError,
  isInputType,
  isNonNullType,
  print,
  typeFromAST,
  type ASTNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { inspect } from 'graphql/jsutils/inspect';

const MAX_VARIABLE_ERRORS = 50;

/** Thrown out of `coerceInputValue` at the error limit; made once (an Error per request costs a stack trace). */
const TOO_MANY = Symbol('too many variable errors');

/** Path inside a value as graphql-js prints it: `.key` for fields, `[i]` for list items. */
export function printPath(path: readonly (string | number)[]): string {
  return path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${key}`)).join('');
}

/** `Field "period" of required type …` / `Field "X.period" …` / `Field "foo" is not defined …`. */
const NAMED_FIELD = /^Field "(?:[_A-Za-z][_0-9A-Za-z]*\.)?([_A-Za-z][_0-9A-Za-z]*)" (?:of required type|is not defined by type)/;

/** The path of the offending input field: the value's path, plus the field a message names. */
export function fieldPath(base: string, message: string): string {
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
        if (errors.length >= MAX_VARIABLE_ERRORS) throw TOO_MANY;
      });
    }
  } catch (error) {
    if (error !== TOO_MANY) throw error;
    errors.push(
      new GraphQLError('Too many errors processing variables, error limit reached. Execution aborted.', {
        extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
      }),
    );
  }
  return errors;
}
