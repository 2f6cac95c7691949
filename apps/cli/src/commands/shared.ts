import { Command } from 'commander';
import { duration, loadConfig, RotorConfig } from '@rotor/config';
import { openDataSource, storeOptionsFor } from '@rotor/store';
import type { DataSource } from 'typeorm';

/** A command was used wrongly (exit code 2). */
export class UsageError extends Error {}

/** A command finished and reports a result through its exit code (e.g. `rotor alerts --fail-on` → 3). */
export class ExitStatus extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Flags every command that touches the data store accepts (env fallbacks live in libs/config). */
export function withStoreOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'data directory (ROTOR_DATA_DIR, default ./data)')
    .option('--database-url <url>', 'PostgreSQL URL (ROTOR_DATABASE_URL); default embedded SQLite');
}

type Flags = Record<string, unknown>;

/** Maps commander's camelCase options onto config keys and validates once. */
export function configFromFlags(flags: Flags): RotorConfig {
  return loadConfig({
    dataDir: flags.dataDir,
    listen: flags.listen,
    databaseUrl: flags.databaseUrl,
    redisUrl: flags.redisUrl,
    http01Port: flags.http01Port,
    tlsAlpn01Port: flags.tlsalpn01Port,
    dnsResolver: flags.dnsResolver,
    logLevel: flags.logLevel,
    caKeyAlgorithm: flags.caKeyAlgorithm,
    eabRequired: flags.eabRequired,
    expiryWarning: flags.expiryWarning,
  });
}

/** Opens the store for one command (running migrations like the server does) and closes it afterwards. */
export async function withDataSource<T>(
  flags: Flags,
  fn: (dataSource: DataSource, config: RotorConfig) => Promise<T>,
): Promise<T> {
  const config = configFromFlags(flags);
  const dataSource = await openDataSource(storeOptionsFor(config));
  try {
    return await fn(dataSource, config);
  } finally {
    await dataSource.destroy();
  }
}

/** Durations on the command line: "90s", "15m", "24h", "7d" (same grammar as the configuration). */
export function parseDurationFlag(value: string, flag: string): number {
  const parsed = duration.safeParse(value);
  if (!parsed.success)
    throw new UsageError(`${flag} "${value.slice(0, 40)}": expected a duration like 90s, 15m, 24h or 7d`);
  return parsed.data;
}
