import { Command } from 'commander';
import { loadConfig, RotorConfig } from '@rotor/config';

/** A command was used wrongly (exit code 2). */
export class UsageError extends Error {}

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
  });
}
