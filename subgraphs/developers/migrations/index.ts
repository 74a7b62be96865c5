import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261121000000 } from './Migration20261121000000';
import { Migration20261122010000 } from './Migration20261122010000';
import { Migration20261123000000 } from './Migration20261123000000';
import { Migration20261124000000 } from './Migration20261124000000';
import { Migration20261201000000 } from './Migration20261201000000';
import { Migration20261205100000 } from './Migration20261205100000';
import { Migration20261207000000 } from './Migration20261207000000';
import { Migration20261208120000 } from './Migration20261208120000';
import { Migration20261209000000 } from './Migration20261209000000';
import { Migration20261210000000 } from './Migration20261210000000';
import { Migration20261210010000 } from './Migration20261210010000';
import { Migration20261214000000 } from './Migration20261214000000';
import { Migration20261215000000 } from './Migration20261215000000';
import { Migration20261216000000 } from './Migration20261216000000';
import { Migration20261216010000 } from './Migration20261216010000';

/** Applied in order; append new migrations, never edit applied ones. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261121000000', class: Migration20261121000000 },
  { name: 'Migration20261122010000', class: Migration20261122010000 },
  { name: 'Migration20261123000000', class: Migration20261123000000 },
  { name: 'Migration20261124000000', class: Migration20261124000000 },
  { name: 'Migration20261201000000', class: Migration20261201000000 },
  { name: 'Migration20261205100000', class: Migration20261205100000 },
  { name: 'Migration20261207000000', class: Migration20261207000000 },
  { name: 'Migration20261208120000', class: Migration20261208120000 },
  { name: 'Migration20261209000000', class: Migration20261209000000 },
  { name: 'Migration20261210000000', class: Migration20261210000000 },
  { name: 'Migration20261210010000', class: Migration20261210010000 },
  { name: 'Migration20261214000000', class: Migration20261214000000 },
  { name: 'Migration20261215000000', class: Migration20261215000000 },
  { name: 'Migration20261216000000', class: Migration20261216000000 },
  { name: 'Migration20261216010000', class: Migration20261216010000 },
];
