import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { IssuedCertificateRecord } from '@rotor/acme';
import type { InventoryRepository, LifecycleEvent } from '@rotor/lifecycle';
import { openDataSource, SqlInventoryRepository, TypeOrmCertificateRepository } from '@rotor/store';
import type { DataSource } from 'typeorm';
import { InventoryRecordingCertificateRepository } from './inventory-recording';

const NOW = 1_800_000_000_000;
const D = 86400e3;

function issued(serial: string, names: string[], notAfter: number, createdAt = NOW): IssuedCertificateRecord {
  return {
    id: serial,
    accountId: 'acct-1',
    orderId: `order-${serial}`,
    chainPem: `PEM ${serial}`,
    identifiers: names.map((value) => ({ type: 'dns', value })),
    notBefore: notAfter - 30 * D,
    notAfter,
    status: 'valid',
    spkiSha256: 'spki',
    fingerprintSha256: randomBytes(32).toString('hex'),
    keyType: 'ecdsa-p256',
    profile: 'server',
    subject: `CN=${names[0]}`,
    issuer: 'CN=Rotor Intermediate',
    createdAt,
  };
}

describe('InventoryRecordingCertificateRepository', () => {
  let dir: string;
  let ds: DataSource;
  let inventory: SqlInventoryRepository;
  let events: LifecycleEvent[];
  let repo: InventoryRecordingCertificateRepository;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rotor-inv-rec-'));
    ds = await openDataSource({ sqlitePath: join(dir, 'rotor.sqlite') });
    inventory = new SqlInventoryRepository(ds);
    events = [];
    repo = new InventoryRecordingCertificateRepository(
      new TypeOrmCertificateRepository(ds),
      inventory,
      { publish: async (e) => void events.push(e) },
      () => NOW + 1,
    );
  });
  afterEach(async () => {
    await ds.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ok/issuance is recorded with owner, profile and names, and published', async () => {
    const a = issued('a1', ['x.test', 'y.test'], NOW + 10 * D);
    await repo.insert(a);
    expect(await repo.byId('a1')).toMatchObject({ id: 'a1', status: 'valid' });
    expect(await inventory.byId(a.fingerprintSha256)).toMatchObject({
      serial: 'a1',
      source: 'acme',
      owner: { kind: 'account', id: 'acct-1' },
      profile: 'server',
      sans: { dns: ['x.test', 'y.test'], ip: [], uri: [] },
      state: 'active',
      pem: 'PEM a1',
    });
    expect(events).toEqual([
      expect.objectContaining({ type: 'certificate.issued', subjectId: a.fingerprintSha256, at: NOW }),
    ]);
    expect(events[0].data).toMatchObject({ serial: 'a1', source: 'acme', owner: { kind: 'account', id: 'acct-1' } });
  });

  it('ok/a renewal for the same names supersedes; replaces links both ways; revocation marks revoked', async () => {
    const first = issued('b1', ['r.test'], NOW + 10 * D);
    const second = issued('b2', ['r.test'], NOW + 20 * D, NOW + 1000);
    await repo.insert(first);
    await repo.insert(second);
    expect(await inventory.byId(first.fingerprintSha256)).toMatchObject({
      state: 'superseded',
      replacedBy: second.fingerprintSha256,
    });
    expect(events[1].data.superseded).toEqual([first.fingerprintSha256]);

    const third = issued('b3', ['r.test'], NOW + 30 * D, NOW + 2000);
    await repo.insert({ ...third, replaces: 'aki.b2' });
    expect(await repo.markReplaced('b2', 'b3')).toBe(true);
    expect(await inventory.byId(second.fingerprintSha256)).toMatchObject({
      state: 'superseded',
      replacedBy: third.fingerprintSha256,
    });
    expect((await inventory.byId(third.fingerprintSha256))?.replaces).toBe(second.fingerprintSha256);

    expect(await repo.revoke('b3', 4, NOW + 5)).toBe(true);
    expect(await repo.revoke('b3', 4, NOW + 6)).toBe(false);
    expect(await inventory.byId(third.fingerprintSha256)).toMatchObject({ state: 'revoked', revokedAt: NOW + 5 });
    expect(events.filter((e) => e.type === 'certificate.revoked')).toEqual([
      expect.objectContaining({ subjectId: third.fingerprintSha256, at: NOW + 5 }),
    ]);
    expect((await repo.listRevoked()).map((r) => r.id)).toEqual(['b3']);
  });

  it('fail/an inventory failure fails the issuance instead of leaving an untracked certificate', async () => {
    const broken = new InventoryRecordingCertificateRepository(
      new TypeOrmCertificateRepository(ds),
      { upsert: async () => Promise.reject(new Error('disk full')) } as unknown as InventoryRepository,
      { publish: async (e) => void events.push(e) },
    );
    await expect(broken.insert(issued('c1', ['c.test'], NOW + D))).rejects.toThrow('disk full');
    expect(events).toEqual([]);
  });
});
