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

const AUTHZ =
  'SELECT id, account_id, order_id, identifier_type, identifier_value, wildcard, status, expires FROM authorizations';
const CHALLENGES = 'SELECT id, authorization_id, type, token, status, validated, error FROM challenges';

export class TypeOrmAuthorizationRepository implements AuthorizationRepository {
  private readonly sql: Sql;

  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  async byId(id: string): Promise<Authorization | null> {
    const row = await this.sql.one<RawAuthorization>(`${AUTHZ} WHERE id = ?`, [id]);
    return row ? (await this.withChallenges([row]))[0] : null;
  }

  async byOrder(orderId: string): Promise<Authorization[]> {
    const rows = await this.sql.rows<RawAuthorization>(`${AUTHZ} WHERE order_id = ? ORDER BY identifier_value`, [
      orderId,
    ]);
    return this.withChallenges(rows);
  }

  async byChallengeId(challengeId: string): Promise<Authorization | null> {
    const row = await this.sql.one<RawAuthorization>(
      `${AUTHZ} WHERE id = (SELECT authorization_id FROM challenges WHERE id = ?)`,
      [challengeId],
    );
    return row ? (await this.withChallenges([row]))[0] : null;
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

  private async withChallenges(rows: RawAuthorization[]): Promise<Authorization[]> {
    if (rows.length === 0) return [];
    const challengeRows = await this.sql.rows<RawChallenge>(
      `${CHALLENGES} WHERE authorization_id IN ${Sql.list(rows.length)}`,
      rows.map((r) => r.id),
    );
    return rows.map((row) => ({
      id: row.id as string,
      accountId: row.account_id as string,
      orderId: row.order_id as string,
      identifier: { type: row.identifier_type as 'dns' | 'ip', value: row.identifier_value as string },
      wildcard: bool(row.wildcard),
      status: row.status as AuthorizationStatus,
      expires: num(row.expires) as number,
      challenges: challengeRows
        .filter((c) => c.authorization_id === row.id)
        .map(challengeToDomain)
        .sort((a, b) => CHALLENGE_ORDER[a.type] - CHALLENGE_ORDER[b.type]),
    }));
  }
}
