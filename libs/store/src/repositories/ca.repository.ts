import type { CaMaterialStore, StoredCaMaterial } from '@rotor/pki';
import { DataSource, Repository } from 'typeorm';
import { CaMaterialRow, CrlRow } from '../entities/acme.entities';

const ACTIVE = 'active';

/**
 * The CA hierarchy lives in the database (keys sealed) so every replica signs
 * with the same intermediate. Insert-if-absent: replicas racing on first start
 * keep the first hierarchy written.
 */
export class TypeOrmCaMaterialStore implements CaMaterialStore {
  private readonly rows: Repository<CaMaterialRow>;
  constructor(dataSource: DataSource) {
    this.rows = dataSource.getRepository(CaMaterialRow);
  }

  async load(): Promise<StoredCaMaterial | null> {
    const row = await this.rows.findOneBy({ id: ACTIVE });
    if (!row) return null;
    return {
      algorithm: row.algorithm as StoredCaMaterial['algorithm'],
      rootCertPem: row.rootCertPem,
      rootKeySealed: row.rootKeySealed ?? undefined,
      intermediateCertPem: row.intermediateCertPem,
      intermediateKeySealed: row.intermediateKeySealed,
    };
  }

  async save(material: StoredCaMaterial): Promise<void> {
    await this.rows.upsert(
      { id: ACTIVE, ...material, rootKeySealed: material.rootKeySealed ?? null, createdAt: Date.now() },
      ['id'],
    );
  }

  /** First writer wins; returns what is stored afterwards. */
  async saveIfAbsent(material: StoredCaMaterial): Promise<StoredCaMaterial> {
    await this.rows
      .createQueryBuilder()
      .insert()
      .values({ id: ACTIVE, ...material, rootKeySealed: material.rootKeySealed ?? null, createdAt: Date.now() })
      .orIgnore()
      .execute();
    return (await this.load()) as StoredCaMaterial;
  }
}

export interface StoredCrl {
  number: number;
  der: Uint8Array;
  thisUpdate: number;
  nextUpdate: number;
}

export class TypeOrmCrlStore {
  private readonly rows: Repository<CrlRow>;
  constructor(dataSource: DataSource) {
    this.rows = dataSource.getRepository(CrlRow);
  }

  async latest(): Promise<StoredCrl | null> {
    const [row] = await this.rows.find({ order: { number: 'DESC' }, take: 1 });
    return row
      ? {
          number: row.number,
          der: Buffer.from(row.derBase64, 'base64'),
          thisUpdate: row.thisUpdate,
          nextUpdate: row.nextUpdate,
        }
      : null;
  }

  /** Stores the CRL unless another replica already published that number; true when this one won. */
  async publish(crl: StoredCrl): Promise<boolean> {
    const derBase64 = Buffer.from(crl.der).toString('base64');
    await this.rows
      .createQueryBuilder()
      .insert()
      .values({ number: crl.number, derBase64, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate })
      .orIgnore()
      .execute();
    const stored = await this.rows.findOneBy({ number: crl.number });
    if (stored?.derBase64 !== derBase64) return false;
    // Only the newest few are kept; clients always fetch the latest.
    await this.rows
      .createQueryBuilder()
      .delete()
      .where('number < :keep', { keep: crl.number - 10 })
      .execute();
    return true;
  }
}
