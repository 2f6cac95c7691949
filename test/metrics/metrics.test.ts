/**
 * GET /metrics on a real server: every tracked certificate's expiry as an
 * exact timestamp (imported and ACME-issued alike), the cardinality cap, ACME
 * request counters and latency histograms labelled by route pattern (never a
 * raw URL), queue and alert gauges, default process metrics.
 */
import { createHash } from 'node:crypto';
import { AcmeTestClient, Http01Responder, startRotor, TestRotor } from '@rotor/testing';
import { makeTestCertificate, TestCertificate } from '../../libs/lifecycle/src/inventory/spec-helpers';

jest.setTimeout(60_000);

const DAY = 86400e3;

/** Parses the text exposition format into {name, labels, value} samples. */
function samples(text: string) {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`unparsable line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
      return { name: match[1], labels, value: Number(match[3]) };
    });
}

const scrape = async (rotor: TestRotor) => {
  const res = await rotor.api('GET', '/metrics', { token: null });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return { text: res.text, samples: samples(res.text) };
};

const importPem = async (rotor: TestRotor, pem: string) => {
  const res = await rotor.api('POST', '/api/v1/certificates/import', { body: { pem } });
  expect([200, 201]).toContain(res.status);
};

describe('/metrics', () => {
  let rotor: TestRotor;
  let http01: Http01Responder;

  beforeAll(async () => {
    http01 = await new Http01Responder().start();
    rotor = await startRotor({ http01Port: http01.port });
  });
  afterAll(async () => {
    await rotor?.stop();
    await http01?.stop();
  });

  it('ok/exposes the exact expiry of every tracked certificate, imported or issued', async () => {
    const imported: [TestCertificate, string][] = [
      [
        await makeTestCertificate({
          dns: ['db.metrics.test'],
          notBefore: new Date(Date.now() - 27 * DAY),
          notAfter: new Date(Date.now() + 3 * DAY),
        }),
        'db.metrics.test',
      ],
      [await makeTestCertificate({ ip: ['192.0.2.10'], notAfter: new Date(Date.now() + 40 * DAY) }), '192.0.2.10'],
      [
        await makeTestCertificate({ uri: ['spiffe://prod/payments'], notAfter: new Date(Date.now() + 9 * DAY) }),
        'spiffe://prod/payments',
      ],
      [await makeTestCertificate({ cn: 'Legacy Thing', notAfter: new Date(Date.now() + 200 * DAY) }), 'Legacy Thing'],
    ];
    for (const [cert] of imported) await importPem(rotor, cert.pem);
    const client = await AcmeTestClient.create({ directoryUrl: rotor.directoryUrl, agent: rotor.agent });
    await client.createAccount();
    const issued = await client.issue(['127.0.0.1'], http01);
    const issuedId = createHash('sha256').update(issued.certDer).digest('hex');

    // Rotor's own HTTPS certificate is a managed certificate: tracked, and named after it.
    const own = (await rotor.api('GET', '/api/v1/managed/rotor-server')).body;
    expect(own.currentId).toMatch(/^[0-9a-f]{64}$/);
    const expected = [
      ...imported.map(([c, name]) => ({ id: c.fingerprint, name })),
      { id: issuedId, name: '127.0.0.1' },
      { id: own.currentId as string, name: 'rotor-server' },
    ];
    const { samples: all } = await scrape(rotor);
    const expiry = all.filter((s) => s.name === 'rotor_certificate_expiration_timestamp_seconds');
    expect(expiry).toHaveLength(expected.length);
    for (const { id, name } of expected) {
      const record = (await rotor.api('GET', `/api/v1/certificates/${id}`)).body;
      const series = expiry.filter((s) => s.labels.serial === record.serial);
      expect(series).toEqual([
        {
          name: 'rotor_certificate_expiration_timestamp_seconds',
          labels: { name, serial: record.serial, issuer: record.issuer },
          value: Date.parse(record.notAfter) / 1000,
        },
      ]);
      expect(Number.isInteger(series[0].value)).toBe(true);
    }
    expect(all.find((s) => s.name === 'rotor_certificate_series_dropped')?.value).toBe(0);

    // Managed certificates also report their next renewal.
    const ownRecord = (await rotor.api('GET', `/api/v1/certificates/${own.currentId}`)).body;
    expect(all.filter((s) => s.name === 'rotor_certificate_renewal_timestamp_seconds')).toEqual([
      {
        name: 'rotor_certificate_renewal_timestamp_seconds',
        labels: { name: 'rotor-server', serial: ownRecord.serial, issuer: ownRecord.issuer },
        value: Date.parse(own.nextRenewalAt) / 1000,
      },
    ]);
  });

  it('ok/counts ACME requests and their latency by route pattern, never by raw URL', async () => {
    const { samples: all } = await scrape(rotor);
    const requests = all.filter((s) => s.name === 'rotor_acme_requests_total');
    const endpoints = new Set(requests.map((s) => s.labels.endpoint));
    for (const endpoint of [
      '/acme/directory',
      '/acme/new-nonce',
      '/acme/new-account',
      '/acme/new-order',
      '/acme/authz/:id',
      '/acme/chall/:id',
      '/acme/order/:id',
      '/acme/order/:id/finalize',
      '/acme/cert/:id',
    ]) {
      expect([...endpoints]).toContain(endpoint);
    }
    // Patterns only: no label carries an id (ids are ≥ 16 URL-safe characters).
    for (const endpoint of endpoints) expect(endpoint).toMatch(/^\/acme\/[a-z-]+(\/:\w+)?(\/[a-z-]+)?$|^unmatched$/);
    const newOrder = requests.find(
      (s) => s.labels.endpoint === '/acme/new-order' && s.labels.method === 'POST' && s.labels.status === '201',
    );
    expect(newOrder?.value).toBeGreaterThanOrEqual(1);
    const count = all.find(
      (s) =>
        s.name === 'rotor_acme_request_duration_seconds_count' &&
        s.labels.endpoint === '/acme/new-order' &&
        s.labels.status === '201',
    );
    expect(count?.value).toBe(newOrder?.value);
    const inf = all.find(
      (s) =>
        s.name === 'rotor_acme_request_duration_seconds_bucket' &&
        s.labels.endpoint === '/acme/new-order' &&
        s.labels.status === '201' &&
        s.labels.le === '+Inf',
    );
    expect(inf?.value).toBe(newOrder?.value);

    // Unknown ACME paths share one label, however many distinct URLs are tried.
    for (let i = 0; i < 5; i++) await rotor.api('GET', `/acme/no-such-thing-${i}`, { token: null });
    const after = (await scrape(rotor)).samples.filter((s) => s.name === 'rotor_acme_requests_total');
    expect(after.some((s) => s.labels.endpoint.includes('no-such-thing'))).toBe(false);
    expect(after.find((s) => s.labels.endpoint === 'unmatched')?.value).toBeGreaterThanOrEqual(5);
  });

  it('ok/queue, alert and process metrics', async () => {
    const { samples: all, text } = await scrape(rotor);
    for (const queue of ['renewal', 'notification', 'crl']) {
      expect(all.find((s) => s.name === 'rotor_queue_depth' && s.labels.queue === queue)).toBeDefined();
      expect(
        all.find((s) => s.name === 'rotor_queue_oldest_job_age_seconds' && s.labels.queue === queue),
      ).toBeDefined();
    }
    // db.metrics.test (3 days left of a 30-day life) is in its warning window.
    expect(
      all.find(
        (s) => s.name === 'rotor_alerts' && s.labels.kind === 'certificate.expiring' && s.labels.severity === 'warning',
      )?.value,
    ).toBe(1);
    expect(text).toContain('# TYPE rotor_renewals_total counter');
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('ok/needs no token, and other methods are refused', async () => {
    expect((await rotor.api('GET', '/metrics', { token: null })).status).toBe(200);
    expect((await rotor.api('POST', '/metrics', { token: null, body: {} })).status).toBe(404);
  });
});

describe('/metrics cardinality cap', () => {
  let rotor: TestRotor;
  beforeAll(async () => {
    rotor = await startRotor({ metricsMaxCertificates: 3 });
  });
  afterAll(async () => rotor?.stop());

  it('ok/keeps the soonest-expiring certificates and counts the rest as dropped', async () => {
    const certs = await Promise.all(
      [30, 5, 60, 10].map((days) =>
        makeTestCertificate({ dns: [`cap-${days}.test`], notAfter: new Date(Date.now() + days * DAY) }),
      ),
    );
    await importPem(rotor, certs.map((c) => c.pem).join(''));
    const { samples: all } = await scrape(rotor);
    const names = all
      .filter((s) => s.name === 'rotor_certificate_expiration_timestamp_seconds')
      .map((s) => s.labels.name);
    // Rotor's own (24 h) certificate is the soonest to expire.
    expect(names.sort()).toEqual(['cap-10.test', 'cap-5.test', 'rotor-server']);
    expect(all.find((s) => s.name === 'rotor_certificate_series_dropped')?.value).toBe(2);
  });
});
