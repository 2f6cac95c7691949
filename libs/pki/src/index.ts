export * from './contracts';
export { usePkiCrypto, getPkiCrypto, currentPkiCryptoName } from './crypto-provider';
export type { PkiCryptoName, PkiCrypto, PkiCryptoKey } from './crypto-provider';
export { KeySealer } from './key-sealer';
export type { KeyFileInfo } from './key-sealer';
export { CA_KEY_ALGORITHMS, isCaKeyAlgorithm } from './ca-keys';
export {
  createCaMaterial,
  importCaMaterial,
  ROOT_LIFETIME_MS,
  INTERMEDIATE_LIFETIME_MS,
} from './ca-hierarchy';
export type { CreateCaOptions, ImportCaInput } from './ca-hierarchy';
export { CertificateAuthority, generateLeafKeyPair } from './certificate-authority';
export type { CertificateAuthorityOptions, LeafKeyPair } from './certificate-authority';
export { isRevocationReason } from './crl';
export type { CrlRequest, CrlResult } from './crl';
export { PROFILE_EKUS } from './leaf-profile';
export { parseCsr, classifySpki, spkiSha256, jwkSpkiSha256 } from './csr';
export type { ParseCsrOptions } from './csr';
export { pemToDer, derToPem, csrInputToDer, normalizeSerialHex } from './encoding';
export { normalizeIp, normalizeDnsName } from './names';
