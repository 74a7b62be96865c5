import { DateTimeResolver } from 'graphql-scalars';
import { GraphQLScalarType } from 'graphql';

/** ISO-8601 date-time in UTC, e.g. `2026-11-21T10:00:00.000Z`. */
export const DateTime = new GraphQLScalarType({
  ...DateTimeResolver.toConfig(),
  description: 'An ISO-8601 date-time in UTC, e.g. `2026-11-21T10:00:00.000Z`.',
});
