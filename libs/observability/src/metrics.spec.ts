import { RotorMetrics } from './metrics';

describe('RotorMetrics', () => {
  it('keeps one registry per instance, so two runtimes in one process do not collide', async () => {
    const a = new RotorMetrics({ defaultMetrics: false });
    const b = new RotorMetrics({ defaultMetrics: false });
    a.renewals.inc({ result: 'success' });
    a.renewals.inc({ result: 'success' });
    b.renewals.inc({ result: 'failure' });
    expect(await a.render()).toContain('rotor_renewals_total{result="success"} 2');
    expect(await b.render()).not.toContain('result="success"');
  });

  it('reads certificate and queue gauges from their sources on every scrape', async () => {
    const metrics = new RotorMetrics({ defaultMetrics: false });
    let expirations = [
      { name: 'a.example', serial: '0a', issuer: 'CN=CA', at: 1_900_000_000_000 },
      { name: 'b.example', serial: '0b', issuer: 'CN=CA', at: 1_900_000_123_456 },
    ];
    metrics.setCertificateSource(async () => ({
      expirations,
      renewals: [{ ...expirations[0], at: 1_899_000_000_000 }],
      dropped: 3,
    }));
    metrics.setQueueSource(async () => [{ queue: 'renewal', depth: 4, oldestWaitingMs: 2500 }]);
    const text = await metrics.render();
    expect(text).toContain(
      'rotor_certificate_expiration_timestamp_seconds{name="a.example",serial="0a",issuer="CN=CA"} 1900000000',
    );
    expect(text).toContain(
      'rotor_certificate_expiration_timestamp_seconds{name="b.example",serial="0b",issuer="CN=CA"} 1900000123.456',
    );
    expect(text).toContain(
      'rotor_certificate_renewal_timestamp_seconds{name="a.example",serial="0a",issuer="CN=CA"} 1899000000',
    );
    expect(text).toContain('rotor_certificate_series_dropped 3');
    expect(text).toContain('rotor_queue_depth{queue="renewal"} 4');
    expect(text).toContain('rotor_queue_oldest_job_age_seconds{queue="renewal"} 2.5');
    // A certificate gone from the source is gone from the next scrape.
    expirations = expirations.slice(1);
    expect(await metrics.render()).not.toContain('rotor_certificate_expiration_timestamp_seconds{name="a.example"');
  });

  it('exports ACME request counters and latency histograms, and default process metrics', async () => {
    const metrics = new RotorMetrics();
    const labels = { endpoint: '/acme/order/:id', method: 'POST', status: '200' };
    metrics.acmeRequests.inc(labels);
    metrics.acmeRequestDuration.observe(labels, 0.02);
    const text = await metrics.render();
    expect(text).toContain('rotor_acme_requests_total{endpoint="/acme/order/:id",method="POST",status="200"} 1');
    expect(text).toContain(
      'rotor_acme_request_duration_seconds_bucket{le="0.025",endpoint="/acme/order/:id",method="POST",status="200"} 1',
    );
    expect(text).toContain('process_cpu_seconds_total');
    expect(metrics.contentType).toMatch(/^text\/plain/);
  });
});

describe('RotorMetrics alerts gauge', () => {
  it('reports every kind × severity, zeros included', async () => {
    const metrics = new RotorMetrics({ defaultMetrics: false });
    metrics.setAlertSource(
      async () => [{ kind: 'crl.stale', severity: 'critical' }],
      ['crl.stale', 'renewal.failing'],
      ['warning', 'critical'],
    );
    const text = await metrics.render();
    expect(text).toContain('rotor_alerts{kind="crl.stale",severity="critical"} 1');
    expect(text).toContain('rotor_alerts{kind="crl.stale",severity="warning"} 0');
    expect(text).toContain('rotor_alerts{kind="renewal.failing",severity="critical"} 0');
  });
});
