import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { openDataSource, openSealer, storeOptionsFor, TypeOrmEabKeyRepository } from '@rotor/store';
import { configFromFlags, UsageError, withStoreOptions } from './shared';

const SUFFIX = /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/;

async function withEabRepository<T>(flags: Record<string, unknown>, fn: (repo: TypeOrmEabKeyRepository) => Promise<T>) {
  const config = configFromFlags(flags);
  const dataSource = await openDataSource(storeOptionsFor(config));
  try {
    return await fn(new TypeOrmEabKeyRepository(dataSource, openSealer(config)));
  } finally {
    await dataSource.destroy();
  }
}

/** External Account Binding keys (RFC 8555 §7.3.4), optionally limited to DNS suffixes. */
export function registerEabCommands(program: Command): void {
  const eab = program.command('eab').description('manage External Account Binding keys');

  withStoreOptions(eab.command('create'))
    .description('create an EAB key; prints the key id and the HMAC key once')
    .option('--suffix <suffix...>', 'limit accounts bound with this key to these DNS suffixes')
    .option('--json', 'print JSON')
    .action(async (flags: Record<string, unknown>) => {
      const suffixes = ((flags.suffix as string[] | undefined) ?? []).map((s) => s.toLowerCase().replace(/^\*?\./, ''));
      const bad = suffixes.find((s) => !SUFFIX.test(s));
      if (bad !== undefined) throw new UsageError(`--suffix "${bad.slice(0, 80)}" is not a DNS name`);
      const id = `eab-${randomBytes(9).toString('base64url')}`;
      const hmacKey = randomBytes(32);
      await withEabRepository(flags, (repo) =>
        repo.create({ id, hmacKey, allowedDnsSuffixes: suffixes, createdAt: Date.now() }),
      );
      const key = hmacKey.toString('base64url');
      process.stdout.write(
        flags.json
          ? `${JSON.stringify({ kid: id, hmacKey: key, allowedDnsSuffixes: suffixes })}\n`
          : `kid:      ${id}\nhmac key: ${key}\n${suffixes.length ? `suffixes: ${suffixes.join(', ')}\n` : ''}` +
              `(the HMAC key is shown only now; e.g. certbot --eab-kid ${id} --eab-hmac-key <key>)\n`,
      );
    });

  withStoreOptions(eab.command('list'))
    .description('list EAB keys (never their HMAC keys)')
    .action(async (flags: Record<string, unknown>) => {
      const keys = await withEabRepository(flags, (repo) => repo.list());
      for (const key of keys) {
        process.stdout.write(
          `${key.id}\t${key.boundAccountId ? `bound to ${key.boundAccountId}` : 'unused'}\t${key.allowedDnsSuffixes.join(',') || '*'}\n`,
        );
      }
    });
}
