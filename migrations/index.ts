import { InitialSchema1763700000000 } from './1763700000000-initial-schema';

/** Every migration, in order. `synchronize` stays off: the schema changes only here. */
export const migrations = [InitialSchema1763700000000];
