import { Command } from 'commander';
import { API_SCOPES, TokenNameTaken, createApiToken, createTokenSchema, tokenView } from '@rotor/lifecycle';
import { SqlApiTokenRepository } from '@rotor/store';
import { UsageError, parseDurationFlag, withDataSource, withStoreOptions } from './shared';

type Flags = Record<string, unknown>;

/** `rotor tokens`: admin-API bearer tokens (shown once at creation; only a digest is stored). */
export function registerTokenCommands(program: Command): void {
  const tokens = program.command('tokens').description('manage admin-API bearer tokens');

  withStoreOptions(tokens.command('create'))
    .description('create a token; prints it once')
    .requiredOption('--name <name>', 'unique name')
    .requiredOption('--scope <scope...>', `scopes: ${API_SCOPES.join(', ')}`)
    .option('--expires <duration>', 'lifetime, e.g. 30d (default: no expiry)')
    .option('--json', 'print JSON')
    .action(async (flags: Flags) => {
      const parsed = createTokenSchema.safeParse({
        name: flags.name,
        scopes: flags.scope,
        expiresInMs: flags.expires === undefined ? undefined : parseDurationFlag(String(flags.expires), '--expires'),
      });
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new UsageError(`--${String(issue.path[0] ?? 'name').replace('scopes', 'scope')}: ${issue.message}`);
      }
      const { token, record } = await withDataSource(flags, async (dataSource) => {
        try {
          return await createApiToken(new SqlApiTokenRepository(dataSource), parsed.data);
        } catch (error) {
          if (error instanceof TokenNameTaken) throw new UsageError(error.message);
          throw error;
        }
      });
      process.stdout.write(
        flags.json
          ? `${JSON.stringify({ ...tokenView(record), token })}\n`
          : `${token}\n(shown only now; scopes: ${record.scopes.join(', ')})\n`,
      );
    });

  withStoreOptions(tokens.command('list'))
    .description('list tokens (never the tokens themselves)')
    .option('--json', 'print JSON')
    .action(async (flags: Flags) => {
      const list = await withDataSource(flags, (dataSource) => new SqlApiTokenRepository(dataSource).list());
      const views = list.map(tokenView);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(views)}\n`);
        return;
      }
      for (const t of views) {
        const state = t.revokedAt
          ? 'revoked'
          : t.expiresAt && Date.parse(t.expiresAt) <= Date.now()
            ? 'expired'
            : 'active';
        process.stdout.write(`${t.id}\t${t.name}\t${t.scopes.join(',')}\t${state}\n`);
      }
    });

  withStoreOptions(tokens.command('revoke'))
    .description('revoke a token by id or name')
    .argument('<id-or-name>')
    .action(async (idOrName: string, flags: Flags) => {
      const revoked = await withDataSource(flags, (dataSource) =>
        new SqlApiTokenRepository(dataSource).revoke(idOrName.slice(0, 128), Date.now()),
      );
      if (!revoked) throw new UsageError(`no active token "${idOrName.slice(0, 128)}"`);
      process.stdout.write(`revoked ${idOrName.slice(0, 128)}\n`);
    });
}
