import * as x509 from './x509';
import { currentPkiCryptoName, getPkiCrypto, usePkiCrypto } from './crypto-provider';

describe('usePkiCrypto', () => {
  afterAll(() => usePkiCrypto('native'));

  it('ok/defaults-to-native', () => {
    expect(currentPkiCryptoName()).toBe('native');
    expect(getPkiCrypto()).toBe(globalThis.crypto);
  });

  it.each(['peculiar', 'native'] as const)('ok/switches-x509-provider-to-%s', (name) => {
    const impl = usePkiCrypto(name);
    expect(currentPkiCryptoName()).toBe(name);
    expect(x509.cryptoProvider.get()).toBe(impl);
    expect(getPkiCrypto()).toBe(impl);
    expect(impl === globalThis.crypto).toBe(name === 'native');
  });
});
