import { Command } from 'commander';
import { ALERT_SEVERITIES, AlertSeverity, AlertView, Alerts } from '@rotor/lifecycle';
import { SqlAlertFactSource, SqlAlertStateRepository } from '@rotor/store';
import { ExitStatus, UsageError, withDataSource, withStoreOptions } from './shared';

/** Exit code when `--fail-on` finds alerts (distinct from 1 = failure and 2 = usage). */
export const ALERTS_FOUND_EXIT = 3;

function severityFlag(value: unknown, flag: string): AlertSeverity | undefined {
  if (value === undefined) return undefined;
  if (!ALERT_SEVERITIES.includes(value as AlertSeverity)) {
    throw new UsageError(`${flag} "${String(value).slice(0, 40)}": expected warning or critical`);
  }
  return value as AlertSeverity;
}

const atLeast = (alert: AlertView, minimum?: AlertSeverity) =>
  !minimum || minimum === 'warning' || alert.severity === 'critical';

/**
 * `rotor alerts`: the same evaluation as GET /api/v1/alerts, read straight
 * from the database (works with or without a running server). For cron or
 * CI checks: `rotor alerts --fail-on critical` exits 3 when a critical alert
 * is open, 0 otherwise.
 */
export function registerAlertsCommand(program: Command): void {
  withStoreOptions(program.command('alerts'))
    .description('show what is at risk: expiring certificates, overdue or failing renewals, a stale CRL')
    .option('--severity <level>', 'minimum severity to show: warning (all) or critical')
    .option(
      '--fail-on <level>',
      `exit ${ALERTS_FOUND_EXIT} when alerts of at least this severity exist (warning or critical)`,
    )
    .option('--json', 'print JSON')
    .action(async (flags: Record<string, unknown>) => {
      const severity = severityFlag(flags.severity, '--severity');
      const failOn = severityFlag(flags.failOn, '--fail-on');
      const alerts = await withDataSource(flags, async (dataSource, config) =>
        new Alerts(
          new SqlAlertFactSource(dataSource),
          {
            warningMs: config.expiryWarning,
            criticalMs: config.expiryCritical,
            renewalGraceMs: 2 * config.renewalSweepInterval,
          },
          new SqlAlertStateRepository(dataSource),
        ).list(),
      );
      const shown = alerts.filter((a) => atLeast(a, severity));
      const counts = {
        critical: shown.filter((a) => a.severity === 'critical').length,
        warning: shown.filter((a) => a.severity === 'warning').length,
      };
      if (flags.json) {
        const items = shown.map((a) => ({
          ...a,
          firstSeen: a.firstSeen === undefined ? undefined : new Date(a.firstSeen).toISOString(),
        }));
        process.stdout.write(`${JSON.stringify({ items, counts })}\n`);
      } else if (shown.length === 0) {
        process.stdout.write('no alerts\n');
      } else {
        for (const a of shown) {
          process.stdout.write(`${a.severity.toUpperCase().padEnd(9)}${a.kind.padEnd(22)}${a.name}\t${a.summary}\n`);
        }
        process.stdout.write(`${counts.critical} critical, ${counts.warning} warning\n`);
      }
      if (failOn && alerts.some((a) => atLeast(a, failOn))) throw new ExitStatus(ALERTS_FOUND_EXIT);
    });
}
