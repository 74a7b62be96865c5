import {
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SourceLocation,
} from 'graphql';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { literalError } from './literals';
import { renameErrors, type ClientOperation } from './subgraph-variables';
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
 *   the query planner named (`$_unmatchedUsage_from`, JavaScript planner) or the client's own
 *   variables and inline values (Rust planner); such errors are renamed back to the client's
 *   variable, or to its argument when it wrote the value inline (`subgraph-variables.ts`), the
 *   same whichever planner runs.
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

/** Where a subgraph call's response is told about, for the errors of its result (see `onFetch` below). */
const RESPONSE_ERRORS = Symbol('subgraph response errors');

interface ResponseErrors {
  /** The locations the subgraph gave each of its errors, in order. */
  locations?: (SourceLocation[] | undefined)[];
}

/** The error locations of a refused subgraph request's JSON body, in order; undefined when it has none. */
function errorLocations(body: string): (SourceLocation[] | undefined)[] | undefined {
  try {
    const parsed = JSON.parse(body) as { errors?: { locations?: SourceLocation[] }[] } | null;
    return Array.isArray(parsed?.errors) ? parsed.errors.map((e) => (Array.isArray(e?.locations) ? e.locations : undefined)) : undefined;
  } catch {
    return undefined;
  }
}

/** The plugin that puts the rules above in place (see the top of this file). */
export function useClientErrors(): GatewayPlugin {
  // The client's operation of each request (its context), which the subgraph calls' errors are told against.
  const clientOperations = new WeakMap<object, ClientOperation>();
  const checkVariables = ({
    args,
    setResultAndStopExecution,
  }: {
    args: {
      schema: GraphQLSchema;
      document: DocumentNode;
      operationName?: string | null;
      variableValues?: unknown;
      contextValue?: unknown;
    };
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
    if (typeof args.contextValue === 'object' && args.contextValue !== null) {
      const fragments = args.document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION);
      clientOperations.set(args.contextValue, { operation, fragments });
    }
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
    onSubgraphExecute({ executionRequest, executor, setExecutor }) {
      const { document, context } = executionRequest;
      const client = typeof context === 'object' && context !== null ? clientOperations.get(context) : undefined;
      // The call's `info` goes with its fetch (`onFetch` below), which notes there the locations
      // of a refused request's errors.
      const response: ResponseErrors = {};
      if (executionRequest.operationType !== 'subscription')
        setExecutor(((request: Parameters<typeof executor>[0]) =>
          executor({ ...request, info: { ...request.info, [RESPONSE_ERRORS]: response } as never })) as typeof executor);
      return ({ result, setResult }) => {
        if (!isAsyncIterable(result)) {
          const renamed = renameErrors(result, document, client, response.locations);
          if (renamed) setResult(renamed);
          return;
        }
        return {
          onNext({ result: next, setResult: setNext }) {
            const renamed = renameErrors(next, document, client);
            if (renamed) setNext(renamed);
          },
        };
      };
    },
    onFetch({ info }) {
      const response = (info as { [RESPONSE_ERRORS]?: ResponseErrors } | undefined)?.[RESPONSE_ERRORS];
      if (!response) return;
      return async ({ response: fetched, setResponse }) => {
        // A refused request (400: validation, bad variables) is rare and small: read here, and
        // given on to the transport as it came.
        if (fetched.status !== 400) return;
        const body = await fetched.text();
        response.locations = errorLocations(body);
        setResponse(new Response(body, { status: fetched.status, statusText: fetched.statusText, headers: fetched.headers }));
      };
    },
  };
}
