import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { bootstrapServer } from '@rotor/server';
import { configFromFlags, withStoreOptions } from './shared';

export function registerStartCommand(program: Command): void {
  withStoreOptions(program.command('start'))
    .description('run the CA (ACME server, workers) on embedded defaults or the configured database')
    .option('--listen <host:port>', 'HTTPS listen address (ROTOR_LISTEN, default 127.0.0.1:8443)')
    .option('--redis-url <url>', 'Redis URL for BullMQ (ROTOR_REDIS_URL); default in-process jobs')
    .option('--http01-port <port>', 'port http-01 validation connects to (ROTOR_HTTP01_PORT, default 80)')
    .option('--tlsalpn01-port <port>', 'port tls-alpn-01 validation connects to (ROTOR_TLSALPN01_PORT, default 443)')
    .option('--dns-resolver <host:port>', 'DNS server for every validation lookup (ROTOR_DNS_RESOLVER)')
    .option(
      '--ca-key-algorithm <alg>',
      'CA key on first start: ecdsa-p256 | ecdsa-p384 | rsa-2048 | rsa-3072 | rsa-4096',
    )
    .option('--eab-required', 'refuse newAccount without External Account Binding (ROTOR_EAB_REQUIRED)')
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent (ROTOR_LOG_LEVEL)')
    .action(async (flags: Record<string, unknown>) => {
      const config = configFromFlags(flags);
      const server = await bootstrapServer(config);
      // The bootstrap admin-API token (0600) exists once this data dir's server created it.
      const tokenPath = join(config.dataDir, 'admin-token');
      process.stdout.write(
        `Rotor is running.\n  ACME directory:   ${server.directoryUrl}\n  Root certificate: ${server.rootPemPath}\n` +
          (existsSync(tokenPath) ? `  Admin API token:  ${tokenPath} (Authorization: Bearer …)\n` : ''),
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      server.logger.info('shutting down');
      await server.close();
    });
}
