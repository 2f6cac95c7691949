import { InventoryInputError } from '../errors';
import { draftRecord, inspectCertificate } from '../inspect';
import type { InventoryRepository } from '../ports';
import { endpointKey, fetchServedChain, FetchOptions, ScanError, ScanTarget } from '../scan';

export type ScanOutcome =
  | {
      endpoint: string;
      ok: true;
      id: string;
      serial: string;
      subject: string;
      notAfter: number;
      /** False when the certificate was already known (its endpoints were merged). */
      inserted: boolean;
    }
  | { endpoint: string; ok: false; error: string };

export interface ScanOptions {
  /** Endpoints scanned at once. */
  concurrency: number;
  timeoutMs: number;
  servername?: string;
  /** Called as each endpoint finishes (progress display). */
  onOutcome?: (outcome: ScanOutcome) => void;
}

/**
 * Discovers certificates on live endpoints and tracks the leaf each one
 * serves (source 'scan'). The same certificate seen at several endpoints is
 * one record listing them all. An endpoint that fails is reported, never fatal.
 */
export class ScanEndpointsUseCase {
  constructor(
    private readonly inventory: InventoryRepository,
    private readonly now: () => number = Date.now,
    private readonly fetchChain: (
      target: ScanTarget,
      options: FetchOptions,
    ) => Promise<Uint8Array[]> = fetchServedChain,
  ) {}

  async execute(targets: ScanTarget[], options: ScanOptions): Promise<ScanOutcome[]> {
    const outcomes: ScanOutcome[] = new Array(targets.length);
    let next = 0;
    const worker = async () => {
      while (next < targets.length) {
        const i = next++;
        outcomes[i] = await this.scanOne(targets[i], options);
        options.onOutcome?.(outcomes[i]);
      }
    };
    const workers = Math.max(1, Math.min(options.concurrency, targets.length));
    await Promise.all(Array.from({ length: workers }, worker));
    return outcomes;
  }

  private async scanOne(target: ScanTarget, options: ScanOptions): Promise<ScanOutcome> {
    const endpoint = endpointKey(target);
    try {
      const [leafDer, ...chain] = await this.fetchChain(target, {
        timeoutMs: options.timeoutMs,
        servername: options.servername,
      });
      const leaf = inspectCertificate(leafDer, 'the served certificate');
      const record = draftRecord(leaf, { source: 'scan', endpoints: [endpoint], chain, now: this.now() });
      const { inserted } = await this.inventory.upsert(record);
      return {
        endpoint,
        ok: true,
        id: record.id,
        serial: record.serial,
        subject: record.subject,
        notAfter: record.notAfter,
        inserted,
      };
    } catch (error) {
      if (error instanceof ScanError || error instanceof InventoryInputError) {
        return { endpoint, ok: false, error: error.message };
      }
      throw error; // a storage failure is not the endpoint's fault
    }
  }
}
