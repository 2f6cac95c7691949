import type {
  Account,
  Authorization,
  AuthorizationStatus,
  Challenge,
  ChallengeStatus,
  EabKey,
  IssuedCertificateRecord,
  Order,
  OrderStatus,
} from './model';
import type { ProblemDocument } from './problem';

/**
 * What the ACME domain needs from the outside world. libs/store implements the
 * repositories; apps/server wires the rest. Every write that moves a resource
 * between states is a conditional update ("only if still in `from`") so that
 * concurrent requests on any replica cannot both win.
 */

export interface Clock {
  now(): number;
}

export interface NonceRepository {
  /** Stores fresh nonces valid until `expires` (one statement for the batch). */
  insertMany(values: string[], expires: number): Promise<void>;
  /** Atomically deletes the nonce; true only if it existed and had not expired. */
  consume(value: string, now: number): Promise<boolean>;
  purgeExpired(now: number): Promise<number>;
}

export interface AccountRepository {
  insert(account: Account): Promise<void>;
  byId(id: string): Promise<Account | null>;
  /**
   * NonceRepository.consume and byId together, for the JWS check of a "kid"
   * request (RFC 8555 §6.2, §6.5): one round trip where the database allows it.
   * The nonce is consumed whatever the account lookup finds.
   */
  byIdRedeemingNonce(id: string, nonce: string, now: number): Promise<{ nonceValid: boolean; account: Account | null }>;
  byThumbprint(thumbprint: string): Promise<Account | null>;
  update(id: string, patch: Partial<Pick<Account, 'contact' | 'status' | 'jwk' | 'thumbprint'>>): Promise<void>;
}

export interface NewOrderRecords {
  order: Order;
  authorizations: Authorization[];
}

export interface OrderRepository {
  /** Inserts the order with its authorizations and challenges in one transaction. */
  insertWithAuthorizations(records: NewOrderRecords): Promise<void>;
  byId(id: string): Promise<Order | null>;
  /** Ids of the account's pending, ready, processing and valid orders, by id. */
  listIdsByAccount(accountId: string, page: { after?: string; limit: number; now: number }): Promise<string[]>;
  /** Moves the order to `to` only if its stored status is one of `from`; true when it did. */
  transition(
    id: string,
    from: OrderStatus[],
    to: OrderStatus,
    patch?: Partial<Pick<Order, 'csr' | 'certificateId' | 'error'>>,
    now?: number,
  ): Promise<boolean>;
  /** Orders stuck in `processing` since before `olderThan` (a crash mid-finalize). */
  listProcessing(olderThan: number, limit: number): Promise<Order[]>;
}

export interface AuthorizationRepository {
  byId(id: string): Promise<Authorization | null>;
  byOrder(orderId: string): Promise<Authorization[]>;
  byChallengeId(challengeId: string): Promise<Authorization | null>;
  transition(id: string, from: AuthorizationStatus[], to: AuthorizationStatus): Promise<boolean>;
  transitionChallenge(
    id: string,
    from: ChallengeStatus[],
    to: ChallengeStatus,
    patch?: { validated?: number; error?: ProblemDocument },
  ): Promise<boolean>;
  /** Challenges left in `processing` (e.g. the process stopped mid-validation). */
  listProcessingChallenges(limit: number): Promise<Challenge[]>;
}

export interface CertificateRepository {
  insert(record: IssuedCertificateRecord): Promise<void>;
  byId(serialHex: string): Promise<IssuedCertificateRecord | null>;
  /** Marks revoked only if still valid; true when it did. */
  revoke(serialHex: string, reason: number, at: number): Promise<boolean>;
  /** Marks the predecessor as replaced only if nothing replaced it yet (RFC 9773 §5). */
  markReplaced(serialHex: string, bySerialHex: string): Promise<boolean>;
  listRevoked(): Promise<Pick<IssuedCertificateRecord, 'id' | 'revokedAt' | 'revocationReason'>[]>;
}

export interface EabKeyRepository {
  byId(id: string): Promise<EabKey | null>;
  /** Binds the key to an account only if unbound (an EAB key is single-use). */
  bind(id: string, accountId: string): Promise<boolean>;
}

export interface RateLimitRepository {
  /**
   * Token bucket: refills `ratePerSecond` up to `burst`, then takes `count`
   * tokens (default 1) only if that many are available. Returns 0 when taken,
   * otherwise seconds until they would be.
   */
  take(key: string, ratePerSecond: number, burst: number, now: number, count?: number): Promise<number>;
}
