import { InitialSchema1763700000000 } from './1763700000000-initial-schema';
import { Inventory1763800000000 } from './1763800000000-inventory';
import { Managed1763800000001 } from './1763800000001-managed';
import { Notifications1763800000002 } from './1763800000002-notifications';
import { ApiTokens1763800000003 } from './1763800000003-api-tokens';

/** Every migration, in order. `synchronize` stays off: the schema changes only here. */
export const migrations = [
  InitialSchema1763700000000,
  Inventory1763800000000,
  Managed1763800000001,
  Notifications1763800000002,
  ApiTokens1763800000003,
];
