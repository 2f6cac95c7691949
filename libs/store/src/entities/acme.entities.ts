import { Column, Entity, PrimaryColumn } from 'typeorm';
import { JsonColumn, MsColumn, StrColumn } from './columns';

/* Row shapes of the ACME tables (see migrations/). Repositories map them to domain records. */

@Entity('accounts')
export class AccountRow {
  @PrimaryColumn({ type: 'varchar' }) id!: string;
  @StrColumn('status') status!: string;
  @JsonColumn('jwk') jwk!: string;
  @StrColumn('thumbprint') thumbprint!: string;
  @JsonColumn('contact') contact!: string;
  @Column({ name: 'terms_of_service_agreed', type: 'boolean' }) termsOfServiceAgreed!: boolean;
  @StrColumn('eab_key_id', { nullable: true }) eabKeyId!: string | null;
  @MsColumn('created_at') createdAt!: number;
}

@Entity('orders')
export class OrderRow {
  @PrimaryColumn({ type: 'varchar' }) id!: string;
  @StrColumn('account_id') accountId!: string;
  @StrColumn('status') status!: string;
  @JsonColumn('identifiers') identifiers!: string;
  @MsColumn('expires') expires!: number;
  @MsColumn('not_before', { nullable: true }) notBefore!: number | null;
  @MsColumn('not_after', { nullable: true }) notAfter!: number | null;
  @StrColumn('profile') profile!: string;
  @StrColumn('replaces', { nullable: true }) replaces!: string | null;
  @JsonColumn('error', { nullable: true }) error!: string | null;
  @Column({ name: 'csr', type: 'text', nullable: true }) csr!: string | null;
  @StrColumn('certificate_id', { nullable: true }) certificateId!: string | null;
  @MsColumn('created_at') createdAt!: number;
  @MsColumn('updated_at') updatedAt!: number;
}

@Entity('authorizations')
export class AuthorizationRow {
  @PrimaryColumn({ type: 'varchar' }) id!: string;
  @StrColumn('account_id') accountId!: string;
  @StrColumn('order_id') orderId!: string;
  @StrColumn('identifier_type') identifierType!: 'dns' | 'ip';
  @StrColumn('identifier_value') identifierValue!: string;
  @Column({ name: 'wildcard', type: 'boolean' }) wildcard!: boolean;
  @StrColumn('status') status!: string;
  @MsColumn('expires') expires!: number;
}

@Entity('challenges')
export class ChallengeRow {
  @PrimaryColumn({ type: 'varchar' }) id!: string;
  @StrColumn('authorization_id') authorizationId!: string;
  @StrColumn('type') type!: string;
  @StrColumn('token') token!: string;
  @StrColumn('status') status!: string;
  @MsColumn('validated', { nullable: true }) validated!: number | null;
  @JsonColumn('error', { nullable: true }) error!: string | null;
}

@Entity('certificates')
export class CertificateRow {
  @PrimaryColumn({ type: 'varchar' }) id!: string;
  @StrColumn('account_id', { nullable: true }) accountId!: string | null;
  @StrColumn('order_id', { nullable: true }) orderId!: string | null;
  @Column({ name: 'chain_pem', type: 'text' }) chainPem!: string;
  @JsonColumn('identifiers') identifiers!: string;
  @MsColumn('not_before') notBefore!: number;
  @MsColumn('not_after') notAfter!: number;
  @StrColumn('status') status!: string;
  @MsColumn('revoked_at', { nullable: true }) revokedAt!: number | null;
  @Column({ name: 'revocation_reason', type: 'integer', nullable: true }) revocationReason!: number | null;
  @StrColumn('spki_sha256') spkiSha256!: string;
  @StrColumn('fingerprint_sha256') fingerprintSha256!: string;
  @StrColumn('key_type') keyType!: string;
  @StrColumn('profile') profile!: string;
  @Column({ name: 'subject', type: 'text' }) subject!: string;
  @Column({ name: 'issuer', type: 'text' }) issuer!: string;
  @StrColumn('replaces', { nullable: true }) replaces!: string | null;
  @StrColumn('replaced_by', { nullable: true }) replacedBy!: string | null;
  @MsColumn('created_at') createdAt!: number;
}

@Entity('nonces')
export class NonceRow {
  @PrimaryColumn({ type: 'varchar' }) value!: string;
  @MsColumn('expires') expires!: number;
}

@Entity('eab_keys')
export class EabKeyRow {
  @PrimaryColumn({ type: 'varchar' }) id!: string;
  @Column({ name: 'hmac_key_sealed', type: 'text' }) hmacKeySealed!: string;
  @JsonColumn('allowed_dns_suffixes') allowedDnsSuffixes!: string;
  @StrColumn('bound_account_id', { nullable: true }) boundAccountId!: string | null;
  @Column({ name: 'revoked', type: 'boolean' }) revoked!: boolean;
  @MsColumn('created_at') createdAt!: number;
}

@Entity('rate_limits')
export class RateLimitRow {
  @PrimaryColumn({ type: 'varchar' }) key!: string;
  @Column({ name: 'tokens', type: 'real' }) tokens!: number;
  @MsColumn('updated_at') updatedAt!: number;
}

@Entity('ca_material')
export class CaMaterialRow {
  @PrimaryColumn({ type: 'varchar' }) id!: string;
  @StrColumn('algorithm') algorithm!: string;
  @Column({ name: 'root_cert_pem', type: 'text' }) rootCertPem!: string;
  @Column({ name: 'root_key_sealed', type: 'text', nullable: true }) rootKeySealed!: string | null;
  @Column({ name: 'intermediate_cert_pem', type: 'text' }) intermediateCertPem!: string;
  @Column({ name: 'intermediate_key_sealed', type: 'text' }) intermediateKeySealed!: string;
  @MsColumn('created_at') createdAt!: number;
}

@Entity('crls')
export class CrlRow {
  @PrimaryColumn({ name: 'number', type: 'integer' }) number!: number;
  @Column({ name: 'der_base64', type: 'text' }) derBase64!: string;
  @MsColumn('this_update') thisUpdate!: number;
  @MsColumn('next_update') nextUpdate!: number;
}

export const ENTITIES = [
  AccountRow,
  OrderRow,
  AuthorizationRow,
  ChallengeRow,
  CertificateRow,
  NonceRow,
  EabKeyRow,
  RateLimitRow,
  CaMaterialRow,
  CrlRow,
];
