import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261121000000 } from './Migration20261121000000';
import { Migration20261125000000 } from './Migration20261125000000';
import { Migration20261205100000 } from './Migration20261205100000';
import { Migration20261206000000 } from './Migration20261206000000';
import { Migration20261208120000 } from './Migration20261208120000';
import { Migration20261212000000 } from './Migration20261212000000';
import { Migration20261212090000 } from './Migration20261212090000';
import { Migration20261214000000 } from './Migration20261214000000';
import { Migration20261216000000 } from './Migration20261216000000';

/** Applied in order; append new migrations, never edit applied ones. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261121000000', class: Migration20261121000000 },
  { name: 'Migration20261125000000', class: Migration20261125000000 },
  { name: 'Migration20261205100000', class: Migration20261205100000 },
  { name: 'Migration20261206000000', class: Migration20261206000000 },
  { name: 'Migration20261208120000', class: Migration20261208120000 },
  { name: 'Migration20261212000000', class: Migration20261212000000 },
  { name: 'Migration20261212090000', class: Migration20261212090000 },
  { name: 'Migration20261214000000', class: Migration20261214000000 },
  { name: 'Migration20261216000000', class: Migration20261216000000 },
];
