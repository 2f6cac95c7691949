import { Command } from 'commander';
import {
  ManagedCertificate,
  ManagedCertificates,
  ManagedError,
  SERVER_CERTIFICATE_NAME,
  toManagedView,
} from '@rotor/lifecycle';
import { SqlInventoryRepository, SqlManagedCertificateRepository } from '@rotor/store';
import type { RotorConfig } from '@rotor/config';
import type { DataSource } from 'typeorm';
import { UsageError, withDataSource, withStoreOptions } from './shared';

type Flags = Record<string, unknown>;

const collect = (value: string, previous: string[]) => [...previous, value];

/** The managed-certificate use cases on the store. No queue here: a running server's sweep renews what is due. */
export function managedUseCases(dataSource: DataSource, config: RotorConfig) {
  const repository = new SqlManagedCertificateRepository(dataSource);
  const certificates = new ManagedCertificates(
    repository,
    { maxLifetimeMs: config.maxCertLifetime, defaultLifetimeMs: config.certLifetime },
    { trigger: async () => undefined },
  );
  return { repository, certificates };
}

/** Declaration errors are usage errors (exit 2) with every field at fault named. */
export async function usage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ManagedError) throw new UsageError(error.message);
    throw error;
  }
}

function fraction(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(n)) {
    throw new UsageError(`${flag} "${String(value).slice(0, 40)}": expected a number such as 0.66`);
  }
  return n;
}

const iso = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());

function summaryLine(m: ManagedCertificate): string {
  const names = [...m.spec.dnsNames, ...m.spec.ips, ...m.spec.uris];
  return [
    m.name,
    m.status,
    `gen ${m.generation}`,
    `lifetime ${m.spec.lifetime}`,
    `next renewal ${iso(m.nextRenewalAt)}`,
    names.slice(0, 3).join(',') + (names.length > 3 ? `,+${names.length - 3}` : ''),
  ].join('\t');
}

/** `rotor managed …`: certificates Rotor issues, holds the key of and renews before they expire. */
export function registerManagedCommands(program: Command): void {
  const managed = program
    .command('managed')
    .description('managed certificates: declared here, issued and renewed by the running server');

  withStoreOptions(managed.command('create <name>'))
    .description('declare a managed certificate (a running server issues it within one sweep interval)')
    .option('--dns <name>', 'DNS name (repeatable)', collect, [])
    .option('--ip <address>', 'IP address (repeatable)', collect, [])
    .option('--uri <uri>', 'URI SAN, spiffe:// or https:// (repeatable)', collect, [])
    .option('--profile <profile>', 'server | client | mtls (default server)')
    .option('--key-type <type>', 'ecdsa-p256 (default) | ecdsa-p384 | rsa-2048 | rsa-3072 | rsa-4096 | ed25519')
    .option('--lifetime <duration>', 'e.g. 1h, 24h, 7d (default: the configured certLifetime)')
    .option('--renew-at <fraction>', 'renew at this fraction of the lifetime (default 0.667)')
    .option('--jitter <fraction>', '± this fraction of the lifetime around the renewal point (default 0.05)')
    .option('--reuse-key', 'keep the same key across renewals (default: a new key each time)')
    .option('--subscriber <id>', 'who receives the certificate once delivery exists (repeatable)', collect, [])
    .option('--json', 'print JSON')
    .action(async (name: string, flags: Flags) => {
      const input = {
        name,
        dnsNames: flags.dns,
        ips: flags.ip,
        uris: flags.uri,
        ...(flags.profile !== undefined ? { profile: flags.profile } : {}),
        ...(flags.keyType !== undefined ? { keyType: flags.keyType } : {}),
        ...(flags.lifetime !== undefined ? { lifetime: flags.lifetime } : {}),
        ...(flags.renewAt !== undefined ? { renewAt: fraction(flags.renewAt, '--renew-at') } : {}),
        ...(flags.jitter !== undefined ? { jitter: fraction(flags.jitter, '--jitter') } : {}),
        ...(flags.reuseKey ? { reuseKey: true } : {}),
        subscribers: flags.subscriber,
      };
      const record = await withDataSource(flags, (dataSource, config) =>
        usage(() => managedUseCases(dataSource, config).certificates.create(input)),
      );
      process.stdout.write(
        flags.json
          ? `${JSON.stringify(toManagedView(record))}\n`
          : `created ${record.name} (${record.id}); a running server issues it within one sweep interval\n`,
      );
    });

  withStoreOptions(managed.command('list'))
    .description('list managed certificates')
    .option('--json', 'print JSON')
    .action(async (flags: Flags) => {
      const all = await withDataSource(flags, async (dataSource, config) => {
        const { certificates } = managedUseCases(dataSource, config);
        const out: ManagedCertificate[] = [];
        let after: string | undefined;
        do {
          const page = await certificates.list({ after, limit: 500 });
          out.push(...page.items);
          after = page.next;
        } while (after);
        return out;
      });
      if (flags.json) process.stdout.write(`${JSON.stringify(all.map(toManagedView))}\n`);
      else for (const m of all) process.stdout.write(`${summaryLine(m)}\n`);
    });

  withStoreOptions(managed.command('show <name>'))
    .description('one managed certificate: its declaration, current certificate and recent renewals (never the key)')
    .option('--json', 'print JSON')
    .action(async (name: string, flags: Flags) => {
      const details = await withDataSource(flags, (dataSource, config) =>
        usage(async () => {
          const { certificates, repository } = managedUseCases(dataSource, config);
          const record = await certificates.get(name);
          const current = record.currentId ? await new SqlInventoryRepository(dataSource).byId(record.currentId) : null;
          return { record, current, renewals: await repository.renewals(record.id, 10) };
        }),
      );
      const view = {
        ...toManagedView(details.record),
        current: details.current && {
          id: details.current.id,
          serial: details.current.serial,
          notBefore: iso(details.current.notBefore),
          notAfter: iso(details.current.notAfter),
        },
        renewals: details.renewals.map((r) => ({
          generation: r.generation + 1,
          certificateId: r.inventoryId,
          at: iso(r.createdAt),
          durationMs: r.durationMs,
        })),
      };
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(view)}\n`);
        return;
      }
      const lines = [
        `name:          ${view.name}`,
        `status:        ${view.status} (generation ${view.generation}${view.consecutiveFailures ? `, ${view.consecutiveFailures} failures` : ''})`,
        `names:         ${[...view.dnsNames, ...view.ips, ...view.uris].join(', ')}`,
        `profile:       ${view.profile}, ${view.keyType}${view.reuseKey ? ', key reused' : ''}`,
        `lifetime:      ${view.lifetime}, renew at ${view.renewAt.toFixed(3)} ± ${view.jitter}`,
        `next renewal:  ${view.nextRenewalAt}`,
        ...(view.current ? [`current:       serial ${view.current.serial}, valid until ${view.current.notAfter}`] : []),
        ...(view.lastError ? [`last error:    ${view.lastError}`] : []),
        ...(view.subscribers.length ? [`subscribers:   ${view.subscribers.join(', ')}`] : []),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  withStoreOptions(managed.command('delete <name>'))
    .description('stop managing a certificate (issued certificates stay in the inventory until they expire)')
    .action(async (name: string, flags: Flags) => {
      await withDataSource(flags, (dataSource, config) =>
        usage(() => managedUseCases(dataSource, config).certificates.delete(name)),
      );
      process.stdout.write(`deleted ${name}\n`);
    });

  withStoreOptions(managed.command('renew <name>'))
    .description('renew now (a running server picks it up within one sweep interval)')
    .action(async (name: string, flags: Flags) => {
      await withDataSource(flags, (dataSource, config) =>
        usage(() => managedUseCases(dataSource, config).certificates.renew(name)),
      );
      process.stdout.write(
        `${name} is due now${name === SERVER_CERTIFICATE_NAME ? " (Rotor's own HTTPS certificate)" : ''}\n`,
      );
    });
}
