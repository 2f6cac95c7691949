import type {
  Authorization,
  AuthorizationRepository,
  AuthorizationStatus,
  Challenge,
  ChallengeStatus,
  ProblemDocument,
} from '@rotor/acme';
import type { DataSource } from 'typeorm';
import { fromJson, toJson } from '../entities/columns';
import { bool, num, Sql } from '../sql';

type RawChallenge = Record<'id' | 'authorization_id' | 'type' | 'token' | 'status' | 'error', string | null> & {
  validated: unknown;
};
type RawAuthorization = Record<
  'id' | 'account_id' | 'order_id' | 'identifier_type' | 'identifier_value' | 'status',
  string | null
> & { wildcard: unknown; expires: unknown };
/** One row per challenge (LEFT JOIN: an authorization without challenges still comes back, with c_id null). */
type RawAuthorizationChallenge = RawAuthorization &
  Record<'c_id' | 'c_type' | 'c_token' | 'c_status' | 'c_error', string | null> & { c_validated: unknown };

const challengeToDomain = (row: RawChallenge): Challenge => ({
  id: row.id as string,
  authorizationId: row.authorization_id as string,
  type: row.type as Challenge['type'],
  token: row.token as string,
  status: row.status as ChallengeStatus,
  validated: num(row.validated),
  error: fromJson<ProblemDocument>(row.error),
});

// Challenges are listed in a stable order: http-01, dns-01, tls-alpn-01.
const CHALLENGE_ORDER: Record<string, number> = { 'http-01': 0, 'dns-01': 1, 'tls-alpn-01': 2 };

const CHALLENGES = 'SELECT id, authorization_id, type, token, status, validated, error FROM challenges';
/** Authorizations with their challenges in one statement (every ACME poll reads one). */
const AUTHZ_WITH_CHALLENGES =
  'SELECT a.id, a.account_id, a.order_id, a.identifier_type, a.identifier_value, a.wildcard, a.status, a.expires, ' +
  'c.id AS c_id, c.type AS c_type, c.token AS c_token, c.status AS c_status, c.validated AS c_validated, ' +
  'c.error AS c_error FROM authorizations a LEFT JOIN challenges c ON c.authorization_id = a.id';

export class TypeOrmAuthorizationRepository implements AuthorizationRepository {
  private readonly sql: Sql;

  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  async byId(id: string): Promise<Authorization | null> {
    const rows = await this.sql.rows<RawAuthorizationChallenge>(`${AUTHZ_WITH_CHALLENGES} WHERE a.id = ?`, [id]);
    return toAuthorizations(rows)[0] ?? null;
  }

  async byOrder(orderId: string): Promise<Authorization[]> {
    const rows = await this.sql.rows<RawAuthorizationChallenge>(
      `${AUTHZ_WITH_CHALLENGES} WHERE a.order_id = ? ORDER BY a.identifier_value`,
      [orderId],
    );
    return toAuthorizations(rows);
  }

  async byChallengeId(challengeId: string): Promise<Authorization | null> {
    const rows = await this.sql.rows<RawAuthorizationChallenge>(
      `${AUTHZ_WITH_CHALLENGES} WHERE a.id = (SELECT authorization_id FROM challenges WHERE id = ?)`,
      [challengeId],
    );
    return toAuthorizations(rows)[0] ?? null;
  }

  async transition(id: string, from: AuthorizationStatus[], to: AuthorizationStatus): Promise<boolean> {
    const rows = await this.sql.rows(
      `UPDATE authorizations SET status = ? WHERE id = ? AND status IN ${Sql.list(from.length)} RETURNING id`,
      [to, id, ...from],
    );
    return rows.length > 0;
  }

  async transitionChallenge(
    id: string,
    from: ChallengeStatus[],
    to: ChallengeStatus,
    patch: { validated?: number; error?: ProblemDocument } = {},
  ): Promise<boolean> {
    const rows = await this.sql.rows(
      'UPDATE challenges SET status = ?, validated = COALESCE(?, validated), error = COALESCE(?, error) ' +
        `WHERE id = ? AND status IN ${Sql.list(from.length)} RETURNING id`,
      [to, patch.validated ?? null, toJson(patch.error), id, ...from],
    );
    return rows.length > 0;
  }

  async listProcessingChallenges(limit: number): Promise<Challenge[]> {
    const rows = await this.sql.rows<RawChallenge>(`${CHALLENGES} WHERE status = 'processing' LIMIT ?`, [limit]);
    return rows.map(challengeToDomain);
  }
}

/** Folds joined rows into authorizations, in first-seen order (the statement's ORDER BY). */
function toAuthorizations(rows: RawAuthorizationChallenge[]): Authorization[] {
  const byId = new Map<string, Authorization>();
  for (const row of rows) {
    let authz = byId.get(row.id as string);
    if (!authz) {
      authz = {
        id: row.id as string,
        accountId: row.account_id as string,
        orderId: row.order_id as string,
        identifier: { type: row.identifier_type as 'dns' | 'ip', value: row.identifier_value as string },
        wildcard: bool(row.wildcard),
        status: row.status as AuthorizationStatus,
        expires: num(row.expires) as number,
        challenges: [],
      };
      byId.set(authz.id, authz);
    }
    if (row.c_id !== null && row.c_id !== undefined) {
      authz.challenges.push(
        challengeToDomain({
          id: row.c_id,
          authorization_id: row.id,
          type: row.c_type,
          token: row.c_token,
          status: row.c_status,
          validated: row.c_validated,
          error: row.c_error,
        }),
      );
    }
  }
  const out = [...byId.values()];
  for (const authz of out) authz.challenges.sort((a, b) => CHALLENGE_ORDER[a.type] - CHALLENGE_ORDER[b.type]);
  return out;
}
