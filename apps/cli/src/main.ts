import { Command, CommanderError } from 'commander';
import { ConfigError } from '@rotor/config';
import { registerAlertsCommand } from './commands/alerts';
import { registerApplyCommand } from './commands/apply';
import { registerCaCommands } from './commands/ca';
import { registerCertsCommands } from './commands/certs';
import { registerEabCommands } from './commands/eab';
import { registerManagedCommands } from './commands/managed';
import { registerStartCommand } from './commands/start';
import { registerTokenCommands } from './commands/tokens';
import { ExitStatus, UsageError } from './commands/shared';

/**
 * The `rotor` command. Exit codes: 0 ok, 1 runtime failure, 2 invalid usage or
 * configuration, 3 `rotor alerts --fail-on` found alerts. Error messages never include secrets.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('rotor')
    .description('Rotor: internal ACME CA and certificate lifecycle service')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  registerStartCommand(program);
  registerEabCommands(program);
  registerCaCommands(program);
  registerCertsCommands(program);
  registerTokenCommands(program);
  registerAlertsCommand(program);
  registerManagedCommands(program);
  registerApplyCommand(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof ExitStatus) return error.code;
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
