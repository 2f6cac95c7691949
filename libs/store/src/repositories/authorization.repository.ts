import type {
  Authorization,
  AuthorizationRepository,
  AuthorizationStatus,
  Challenge,
  ChallengeStatus,
  ProblemDocument,
} from '@rotor/acme';
import { DataSource, In, Repository } from 'typeorm';
import { AuthorizationRow, ChallengeRow } from '../entities/acme.entities';
import { fromJson, toJson } from '../entities/columns';

const challengeToDomain = (row: ChallengeRow): Challenge => ({
  id: row.id,
  authorizationId: row.authorizationId,
  type: row.type as Challenge['type'],
  token: row.token,
  status: row.status as ChallengeStatus,
  validated: row.validated ?? undefined,
  error: fromJson<ProblemDocument>(row.error),
});

// Challenges are listed in a stable order: http-01, dns-01, tls-alpn-01 as created.
const CHALLENGE_ORDER: Record<string, number> = { 'http-01': 0, 'dns-01': 1, 'tls-alpn-01': 2 };

export class TypeOrmAuthorizationRepository implements AuthorizationRepository {
  private readonly authzs: Repository<AuthorizationRow>;
  private readonly challenges: Repository<ChallengeRow>;

  constructor(dataSource: DataSource) {
    this.authzs = dataSource.getRepository(AuthorizationRow);
    this.challenges = dataSource.getRepository(ChallengeRow);
  }

  async byId(id: string): Promise<Authorization | null> {
    const row = await this.authzs.findOneBy({ id });
    return row ? (await this.withChallenges([row]))[0] : null;
  }

  async byOrder(orderId: string): Promise<Authorization[]> {
    const rows = await this.authzs.find({ where: { orderId }, order: { identifierValue: 'ASC' } });
    return this.withChallenges(rows);
  }

  async byChallengeId(challengeId: string): Promise<Authorization | null> {
    const challenge = await this.challenges.findOne({ select: { authorizationId: true }, where: { id: challengeId } });
    return challenge ? this.byId(challenge.authorizationId) : null;
  }

  async transition(id: string, from: AuthorizationStatus[], to: AuthorizationStatus): Promise<boolean> {
    const result = await this.authzs.update({ id, status: In(from) }, { status: to });
    return (result.affected ?? 0) > 0;
  }

  async transitionChallenge(
    id: string,
    from: ChallengeStatus[],
    to: ChallengeStatus,
    patch: { validated?: number; error?: ProblemDocument } = {},
  ): Promise<boolean> {
    const result = await this.challenges.update(
      { id, status: In(from) },
      {
        status: to,
        ...(patch.validated !== undefined && { validated: patch.validated }),
        ...(patch.error && { error: toJson(patch.error) }),
      },
    );
    return (result.affected ?? 0) > 0;
  }

  async listProcessingChallenges(limit: number): Promise<Challenge[]> {
    const rows = await this.challenges.find({ where: { status: 'processing' }, take: limit });
    return rows.map(challengeToDomain);
  }

  private async withChallenges(rows: AuthorizationRow[]): Promise<Authorization[]> {
    if (rows.length === 0) return [];
    const challengeRows = await this.challenges.findBy({ authorizationId: In(rows.map((r) => r.id)) });
    return rows.map((row) => ({
      id: row.id,
      accountId: row.accountId,
      orderId: row.orderId,
      identifier: { type: row.identifierType, value: row.identifierValue },
      wildcard: Boolean(row.wildcard),
      status: row.status as AuthorizationStatus,
      expires: row.expires,
      challenges: challengeRows
        .filter((c) => c.authorizationId === row.id)
        .map(challengeToDomain)
        .sort((a, b) => CHALLENGE_ORDER[a.type] - CHALLENGE_ORDER[b.type]),
    }));
  }
}
