import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { importCaMaterial, PkiError } from '@rotor/pki';
import { openDataSource, openSealer, storeOptionsFor, TypeOrmCaMaterialStore } from '@rotor/store';
import { configFromFlags, UsageError, withStoreOptions } from './shared';

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`cannot read the ${what} file "${path}"`);
  }
}

/** `rotor ca import`: bring an existing root/intermediate pair instead of the generated one. */
export function registerCaCommands(program: Command): void {
  const ca = program.command('ca').description('manage the CA hierarchy');
  withStoreOptions(ca.command('import'))
    .description('import an existing root + intermediate (the intermediate signs leaves)')
    .requiredOption('--root <file>', 'root certificate (PEM)')
    .requiredOption('--intermediate <file>', 'intermediate certificate (PEM)')
    .requiredOption('--intermediate-key <file>', 'intermediate private key (PKCS#8 PEM)')
    .option('--root-key <file>', 'root private key (PKCS#8 PEM), if Rotor should hold it')
    .option('--force', 'replace a hierarchy that already exists')
    .action(async (flags: Record<string, string | boolean | undefined>) => {
      const config = configFromFlags(flags);
      const input = {
        rootCertPem: readPem(flags.root as string, 'root certificate'),
        intermediateCertPem: readPem(flags.intermediate as string, 'intermediate certificate'),
        intermediateKeyPem: readPem(flags.intermediateKey as string, 'intermediate key'),
        rootKeyPem: flags.rootKey ? readPem(flags.rootKey as string, 'root key') : undefined,
      };
      const sealer = openSealer(config);
      let material;
      try {
        material = await importCaMaterial(input, sealer);
      } catch (error) {
        if (error instanceof PkiError) throw new UsageError(`import refused: ${error.message}`);
        throw error;
      }
      const dataSource = await openDataSource(storeOptionsFor(config));
      try {
        const store = new TypeOrmCaMaterialStore(dataSource);
        if ((await store.load()) && !flags.force) {
          throw new UsageError('a CA hierarchy already exists; pass --force to replace it');
        }
        await store.save(material);
      } finally {
        await dataSource.destroy();
      }
      process.stdout.write('CA hierarchy imported; restart Rotor to sign with it.\n');
    });
}
