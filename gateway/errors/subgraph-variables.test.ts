import { getLocation, GraphQLError, Kind, parse, Source, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { upstreamPrint } from '../../common/auth';
import { clientLiteralError, renameErrors, type ClientOperation } from './subgraph-variables';

/** The client's operation as the gateway keeps it per request. */
function client(query: string): ClientOperation {
  const document = parse(query);
  return {
    operation: document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!,
    fragments: document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION),
  };
}

/** Where `needle` starts in the text the gateway sends for `document` (as the subgraph reports it). */
function locationOf(document: ReturnType<typeof parse>, needle: string, nth = 0) {
  const text = upstreamPrint(document);
  let index = -1;
  for (let i = 0; i <= nth; i++) index = text.indexOf(needle, index + 1);
  if (index < 0) throw new Error(`${needle} not in ${text}`);
  return getLocation(new Source(text), index);
}

const invalid = (message: string) =>
  new GraphQLError(message, { path: ['unmatchedUsage'], extensions: { code: 'GRAPHQL_VALIDATION_FAILED', serviceName: 'usage' } });

describe('subgraph validation errors about inline values, in the client’s terms', () => {
  const DATE = 'DateTime cannot represent an invalid date-time-string yesterday.';

  it('names the argument and the value the client wrote, keeping the path', () => {
    const sent = parse('query{unmatchedUsage(from:"2026-01-01T00:00:00Z",to:"yesterday"){requests}}');
    const error = clientLiteralError(
      invalid(DATE),
      sent,
      [locationOf(sent, '"yesterday"')],
      client('{ unmatchedUsage(from: "2026-01-01T00:00:00Z", to: "yesterday") { requests } }'),
    );
    expect(error.message).toBe(`Argument "to" of "unmatchedUsage" got invalid value "yesterday"; ${DATE}`);
    expect(error.path).toEqual(['unmatchedUsage']);
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'to', serviceName: 'usage' });
  });

  it('gives the path inside input objects and lists, through aliases', () => {
    const sent = parse('query{log:auditLog(filter:{actions:["a","b"],ranges:[{from:"x"},{from:"nope"}]}){totalCount}}');
    const error = clientLiteralError(
      invalid('DateTime cannot represent an invalid date-time-string nope.'),
      sent,
      [locationOf(sent, '"nope"')],
      client('{ log: auditLog(filter: { actions: ["a", "b"], ranges: [{ from: "x" }, { from: "nope" }] }) { totalCount } }'),
    );
    expect(error.message).toBe(
      'Argument "filter" of "auditLog" got invalid value "nope" at "filter.ranges[1].from"; DateTime cannot represent an invalid date-time-string nope.',
    );
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.ranges[1].from' });
  });

  it('leaves alone errors that point at no inline value, other codes, and variable errors', () => {
    const sent = parse('query($to:DateTime!){unmatchedUsage(from:"yesterday",to:$to){requests}}');
    const atField = clientLiteralError(invalid(DATE), sent, [locationOf(sent, 'unmatchedUsage')], undefined);
    expect(atField.message).toBe(DATE);
    const internal = new GraphQLError(DATE, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(clientLiteralError(internal, sent, [locationOf(sent, '"yesterday"')], undefined)).toBe(internal);
    expect(clientLiteralError(invalid(DATE), sent, undefined, undefined).message).toBe(DATE);
  });

  it('uses locations only when they are of the very errors of the result', () => {
    const sent = parse('query{unmatchedUsage(from:"yesterday",to:"2026-01-01T00:00:00Z"){requests}}');
    const at = locationOf(sent, '"yesterday"');
    const result = { errors: [invalid(DATE)] };
    expect(renameErrors(result, sent, undefined, [[at], [at]])).toBeNull();
    expect(renameErrors(result, sent, undefined, [[at]])!.errors![0].message).toBe(
      `Argument "from" of "unmatchedUsage" got invalid value "yesterday"; ${DATE}`,
    );
  });
});

describe('subgraph errors about variables, with the client’s operation kept per request', () => {
  it('names the client variable the subgraph saw under the same name (Rust planner)', () => {
    const sent = parse('query($start:DateTime!){range:unmatchedUsage(from:$start,to:"2026-01-01T00:00:00Z"){requests}}');
    const error = new GraphQLError(
      'Variable "$start" got invalid value "soon"; DateTime cannot represent an invalid date-time-string soon.',
      {
        extensions: { code: 'BAD_USER_INPUT' },
      },
    );
    const renamed = renameErrors(
      { errors: [error] },
      sent,
      client('query($start: DateTime!) { range: unmatchedUsage(from: $start, to: "2026-01-01T00:00:00Z") { requests } }'),
    );
    expect(renamed!.errors![0]).toMatchObject({
      message: 'Variable "$start" got invalid value "soon"; DateTime cannot represent an invalid date-time-string soon.',
      extensions: { code: 'BAD_USER_INPUT', field: 'start' },
    });
  });

  it('follows a variable inside an inline object the client wrote, through a fragment', () => {
    const sent = parse('query($since:DateTime){auditLog(filter:{from:$since}){totalCount}}');
    const error = new GraphQLError(
      'Variable "$since" got invalid value "nope"; DateTime cannot represent an invalid date-time-string nope.',
    );
    const renamed = renameErrors(
      { errors: [error] },
      sent,
      client('query($since: DateTime) { ...F } fragment F on Query { auditLog(filter: { from: $since }) { totalCount } }'),
    );
    expect(renamed!.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'since' });
    expect(renamed!.errors![0].message).toMatch(/^Variable "\$since" got invalid value "nope"; /);
  });
});
