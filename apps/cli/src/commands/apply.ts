import { readFileSync, statSync } from 'node:fs';
import { Command } from 'commander';
import { ApplyManifest } from '@rotor/lifecycle';
import { managedUseCases, usage } from './managed';
import { UsageError, withDataSource, withStoreOptions } from './shared';

/** Larger manifests are not a fleet description but a mistake. */
const MAX_MANIFEST_BYTES = 10 * 1024 * 1024;

function readManifest(file: string): string {
  if (file === '-') return readFileSync(0, 'utf8');
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new UsageError(`-f ${file}: no such file`);
  }
  if (size > MAX_MANIFEST_BYTES) throw new UsageError(`-f ${file}: larger than ${MAX_MANIFEST_BYTES} bytes`);
  return readFileSync(file, 'utf8');
}

/**
 * `rotor apply -f FILE`: make the managed certificates match a YAML manifest
 * (apiVersion rotor/v1, kind ManagedCertificate). Idempotent; the whole file
 * is validated before anything changes.
 */
export function registerApplyCommand(program: Command): void {
  withStoreOptions(program.command('apply'))
    .description('apply a managed-certificate manifest (YAML): create, update, and with --prune delete')
    .requiredOption('-f, --file <file>', 'manifest file ("-" for stdin)')
    .option('--prune', 'delete managed certificates the manifest does not name')
    .option('--dry-run', 'report what would change, change nothing')
    .option('--json', 'print JSON')
    .action(async (flags: Record<string, unknown>) => {
      const text = readManifest(String(flags.file));
      const items = await withDataSource(flags, (dataSource, config) =>
        usage(() => {
          const { certificates, repository } = managedUseCases(dataSource, config);
          return new ApplyManifest(certificates, repository).apply(text, {
            prune: Boolean(flags.prune),
            dryRun: Boolean(flags.dryRun),
          });
        }),
      );
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ items, dryRun: Boolean(flags.dryRun) })}\n`);
        return;
      }
      for (const item of items) process.stdout.write(`${item.action.padEnd(9)} ${item.name}\n`);
      const counts = ['created', 'updated', 'unchanged', 'deleted'].map(
        (a) => `${items.filter((i) => i.action === a).length} ${a}`,
      );
      process.stdout.write(`${flags.dryRun ? '(dry run) ' : ''}${counts.join(', ')}\n`);
    });
}
