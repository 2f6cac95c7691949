import { Command, CommanderError } from 'commander';
import { ConfigError } from '@rotor/config';
import { registerCaCommands } from './commands/ca';
import { registerEabCommands } from './commands/eab';
import { registerStartCommand } from './commands/start';
import { UsageError } from './commands/shared';

/**
 * The `rotor` command. Exit codes: 0 ok, 1 runtime failure, 2 invalid usage or
 * configuration. Error messages never include secrets.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('rotor')
    .description('Rotor: internal ACME CA and certificate lifecycle service')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  registerStartCommand(program);
  registerEabCommands(program);
  registerCaCommands(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof ConfigError || error instanceof UsageError) {
      process.stderr.write(`rotor: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`rotor: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (require.main === module || process.argv[1]?.endsWith('rotor.js')) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== 0) process.exit(code);
    },
    () => process.exit(1),
  );
}
