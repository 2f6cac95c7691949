/**
 * The issuance flow the benchmark drives both servers with, on the raw ACME
 * test client (@rotor/testing AcmeTestClient: node:https, ES256 account key,
 * flattened JWS, pooled Replay-Nonces). The flow and its polling live here so
 * that they are identical for every server and tuned for a benchmark: a fixed
 * short poll interval, no extra reads, and CSRs made before the run.
 */
import { Agent } from 'node:https';
import { AcmeTestClient, b64u, type AcmeResponse, type Http01Responder } from '@rotor/testing';

export interface IssueTarget {
  name: string;
  csrDer: Uint8Array;
}

export interface BenchClientOptions {
  directoryUrl: string;
  /** PEM of the CA that signed the server's HTTPS certificate. */
  caPem: string;
  responder: Http01Responder;
  /** Fixed interval between status polls, identical for every server. */
  pollMs: number;
  /** Give up on one issuance after this long. */
  timeoutMs?: number;
}

interface Challenge {
  type: string;
  url: string;
  token: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function expect(res: AcmeResponse, statuses: number[], what: string): AcmeResponse {
  if (!statuses.includes(res.status)) {
    const body = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
    throw new Error(`${what}: HTTP ${res.status} ${body.slice(0, 300)}`);
  }
  return res;
}

export class BenchAcmeClient {
  /** HTTP requests sent so far (polls and newNonce included), to compare how much each server makes a client work. */
  requests = 0;

  private constructor(
    private readonly client: AcmeTestClient,
    private readonly options: BenchClientOptions,
  ) {}

  /** Fetches the directory and registers the account every issuance reuses (RFC 8555 §7.3). */
  static async register(options: BenchClientOptions): Promise<BenchAcmeClient> {
    const agent = new Agent({ ca: options.caPem, keepAlive: true });
    const client = await AcmeTestClient.create({ directoryUrl: options.directoryUrl, agent });
    const bench = new BenchAcmeClient(client, options);
    const send = client.request.bind(client);
    client.request = (url, init) => {
      bench.requests++;
      return send(url, init);
    };
    expect(await client.createAccount({ termsOfServiceAgreed: true }), [200, 201], 'newAccount');
    return bench;
  }

  /** One full issuance: newOrder → http-01 → finalize → download. Returns the PEM chain. */
  async issue(target: IssueTarget): Promise<string> {
    const deadline = Date.now() + (this.options.timeoutMs ?? 30_000);
    const created = expect(await this.client.newOrder([target.name]), [201], 'newOrder');
    const orderUrl = created.location as string;
    let order = created.body as { status: string; authorizations: string[]; finalize: string; certificate?: string };

    for (const authzUrl of order.authorizations) {
      const authz = expect(await this.client.postAsGet(authzUrl), [200], 'authorization');
      if (authz.body.status === 'valid') continue;
      const challenge = (authz.body.challenges as Challenge[]).find((c) => c.type === 'http-01');
      if (!challenge) throw new Error(`no http-01 challenge offered for ${target.name}`);
      const tokens = this.options.responder.tokens;
      tokens.set(challenge.token, await this.client.keyAuthorization(challenge.token));
      try {
        expect(await this.client.post(challenge.url, {}), [200], 'challenge');
        await this.pollUntil(authzUrl, 'valid', ['invalid', 'deactivated', 'expired', 'revoked'], deadline);
      } finally {
        tokens.delete(challenge.token);
      }
    }

    const finalized = expect(await this.client.post(order.finalize, { csr: b64u(target.csrDer) }), [200], 'finalize');
    order = finalized.body;
    // RFC 8555 §7.4: the server may still be "processing" (Pebble signs asynchronously).
    if (order.status !== 'valid') order = (await this.pollUntil(orderUrl, 'valid', ['invalid'], deadline)).body;
    const cert = expect(await this.client.postAsGet(order.certificate as string), [200], 'certificate').body;
    if (typeof cert !== 'string' || !cert.startsWith('-----BEGIN CERTIFICATE-----')) {
      throw new Error('certificate download is not a PEM chain');
    }
    return cert;
  }

  close(): void {
    this.client.agent.destroy();
  }

  private async pollUntil(url: string, done: string, failed: string[], deadline: number): Promise<AcmeResponse> {
    for (;;) {
      const res = expect(await this.client.postAsGet(url), [200], `poll ${url}`);
      const status = res.body.status as string;
      if (status === done) return res;
      if (failed.includes(status))
        throw new Error(`${url} became ${status}: ${JSON.stringify(res.body).slice(0, 400)}`);
      if (Date.now() > deadline) throw new Error(`${url} still ${status} at the deadline`);
      await sleep(this.options.pollMs);
    }
  }
}
