import { EXPIRED_RETENTION_MS, displayName, parseSans } from '@rotor/lifecycle';
import type { CertificateSeries, CertificateSnapshot } from '@rotor/observability';
import type { DataSource } from 'typeorm';
import { Sql, num } from '../sql';

interface ExpiryRow {
  serial: string;
  issuer: string;
  subject: string;
  sans: string;
  not_after: unknown;
  managed_name: string | null;
}

interface RenewalRow {
  name: string;
  next_renewal_at: unknown;
  serial: string | null;
  issuer: string | null;
}

/**
 * The per-certificate series of /metrics, read at scrape time. Cardinality is
 * bounded: at most `maxSeries` certificates (soonest-expiring first — the ones
 * an alert rule cares about), the rest counted in rotor_certificate_series_dropped.
 * Certificates that expired more than EXPIRED_RETENTION_MS ago are abandoned
 * (the alert rules ignore them too) and leave the metrics.
 */
export class SqlCertificateMetricsSource {
  private readonly sql: Sql;
  constructor(
    dataSource: DataSource,
    private readonly maxSeries: number,
  ) {
    this.sql = new Sql(dataSource);
  }

  async snapshot(now = Date.now()): Promise<CertificateSnapshot> {
    const since = now - EXPIRED_RETENTION_MS;
    const limit = this.maxSeries + 1;
    const [expiryRows, renewalRows] = await Promise.all([
      this.sql.rows<ExpiryRow>(
        `SELECT i.serial, i.issuer, i.subject, i.sans, i.not_after, m.name AS managed_name
           FROM inventory i
           LEFT JOIN managed_certificates m ON i.owner_kind = 'managed' AND m.id = i.owner_id
          WHERE i.state = 'active' AND i.not_after > ?
          ORDER BY i.not_after, i.id
          LIMIT ${limit}`,
        [since],
      ),
      this.sql.rows<RenewalRow>(
        `SELECT m.name, m.next_renewal_at, i.serial, i.issuer
           FROM managed_certificates m
           LEFT JOIN inventory i ON i.id = m.current_id
          WHERE m.status <> 'disabled'
          ORDER BY m.next_renewal_at, m.id
          LIMIT ${limit}`,
        [],
      ),
    ]);
    let dropped = 0;
    if (expiryRows.length > this.maxSeries) {
      expiryRows.length = this.maxSeries;
      const row = await this.sql.one<{ n: unknown }>(
        "SELECT COUNT(*) AS n FROM inventory WHERE state = 'active' AND not_after > ?",
        [since],
      );
      dropped += (num(row?.n) ?? 0) - this.maxSeries;
    }
    if (renewalRows.length > this.maxSeries) {
      renewalRows.length = this.maxSeries;
      const row = await this.sql.one<{ n: unknown }>(
        "SELECT COUNT(*) AS n FROM managed_certificates WHERE status <> 'disabled'",
        [],
      );
      dropped += (num(row?.n) ?? 0) - this.maxSeries;
    }
    return {
      expirations: expiryRows.map((r): CertificateSeries => ({
        name: displayName({
          managedName: r.managed_name,
          sans: parseSans(r.sans),
          subject: r.subject,
          serial: r.serial,
        }),
        serial: r.serial,
        issuer: r.issuer,
        at: num(r.not_after) ?? 0,
      })),
      renewals: renewalRows.map((r): CertificateSeries => ({
        name: r.name,
        serial: r.serial ?? '',
        issuer: r.issuer ?? '',
        at: num(r.next_renewal_at) ?? 0,
      })),
      dropped,
    };
  }
}
