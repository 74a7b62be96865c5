import { Kind, type DocumentNode, type ExecutionResult, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { literalError } from './literals';
import { renameErrors } from './subgraph-variables';
import { variableErrors } from './variables';

/**
 * Errors as the client should see them. Every error the gateway returns carries a stable
 * `extensions.code`, and errors about input name what the client sent — its own variables and
 * arguments, with `extensions.field` as a path into them (`input.quota.period`, `ids[2]`) — never
 * the variables the gateway made up when it forwarded the operation to a subgraph.
 *
 * - Variable values are coerced here before execution (the same rules and messages as
 *   graphql-js), so a bad `$first` or an unknown field in `$input` is BAD_USER_INPUT with `field`
 *   (`variables.ts`).
 * - Bad literal values (`plans(first: 1.5)`, `input: { foo: 1 }`) fail validation; they become
 *   BAD_USER_INPUT with `field` too (`literals.ts`). Other validation errors stay GRAPHQL_VALIDATION_FAILED.
 * - Custom scalars (DateTime, …) are checked by the subgraph that owns them, against variables
 *   the query planner named (`$_unmatchedUsage_from`); such errors are renamed back to the
 *   client's variable, or to its argument when it wrote the value inline (`subgraph-variables.ts`).
 * - `withStableCode` (`codes.ts`, called from the gateway's maskError, which sees every error on its way
 *   out) gives any error still without a code one from its HTTP status.
 */

export { badUserInput, variableErrors } from './variables';
export { literalError } from './literals';
export { clientVariableError } from './subgraph-variables';
export { withErrorCode, withStableCode } from './codes';

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
