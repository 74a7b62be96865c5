import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122000000 } from './Migration20261122000000';
import { Migration20261125000000 } from './Migration20261125000000';
import { Migration20261205000000 } from './Migration20261205000000';
import { Migration20261212000000 } from './Migration20261212000000';
import { Migration20261213000000 } from './Migration20261213000000';
import { Migration20261214000000 } from './Migration20261214000000';
import { Migration20261214010000 } from './Migration20261214010000';
import { Migration20261216000000 } from './Migration20261216000000';
import { Migration20261220000000 } from './Migration20261220000000';

/** Applied in order; append new migrations, never edit applied ones. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261122000000', class: Migration20261122000000 },
  { name: 'Migration20261125000000', class: Migration20261125000000 },
  { name: 'Migration20261205000000', class: Migration20261205000000 },
  { name: 'Migration20261212000000', class: Migration20261212000000 },
  { name: 'Migration20261213000000', class: Migration20261213000000 },
  { name: 'Migration20261214000000', class: Migration20261214000000 },
  { name: 'Migration20261214010000', class: Migration20261214010000 },
  { name: 'Migration20261216000000', class: Migration20261216000000 },
  { name: 'Migration20261220000000', class: Migration20261220000000 },
];
