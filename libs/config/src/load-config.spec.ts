import { ConfigError, externalBaseUrl, loadConfig } from './load-config';

describe('loadConfig', () => {
  it('ok/defaults', () => {
    const config = loadConfig({}, {});
    expect(config).toMatchObject({
      dataDir: './data',
      listen: { host: '127.0.0.1', port: 8443 },
      http01Port: 80,
      tlsAlpn01Port: 443,
      certLifetime: 24 * 3600e3,
      caKeyAlgorithm: 'ecdsa-p256',
      eabRequired: false,
    });
    expect(config.databaseUrl).toBeUndefined();
    expect(externalBaseUrl(config)).toBe('https://127.0.0.1:8443');
  });

  it('ok/flags-win-over-env', () => {
    const config = loadConfig(
      { dataDir: '/tmp/r', listen: '127.0.0.1:18443', http01Port: '5002', dnsResolver: '127.0.0.1:8053' },
      {
        ROTOR_DATA_DIR: '/elsewhere',
        ROTOR_LISTEN: '0.0.0.0:1',
        ROTOR_TLSALPN01_PORT: '5001',
        ROTOR_EAB_REQUIRED: 'yes',
      },
    );
    expect(config).toMatchObject({
      dataDir: '/tmp/r',
      listen: { host: '127.0.0.1', port: 18443 },
      http01Port: 5002,
      tlsAlpn01Port: 5001,
      dnsResolver: { host: '127.0.0.1', port: 8053 },
      eabRequired: true,
    });
  });

  it.each([
    ['ok/ipv6-listen', { listen: '[::1]:9443' }, { listen: { host: '::1', port: 9443 } }],
    ['ok/duration-units', { certLifetime: '90m' }, { certLifetime: 90 * 60e3 }],
    ['ok/postgres-url', { databaseUrl: 'postgres://u@127.0.0.1/db' }, { databaseUrl: 'postgres://u@127.0.0.1/db' }],
  ])('%s', (_name, flags, expected) => {
    expect(loadConfig(flags, {})).toMatchObject(expected);
  });

  it.each([
    ['fail/listen-no-port', { listen: '127.0.0.1' }, /listen \(ROTOR_LISTEN\): expected host:port/],
    ['fail/listen-port-range', { listen: '127.0.0.1:70000' }, /listen/],
    ['fail/http01-port-text', { http01Port: 'eighty' }, /http01Port \(ROTOR_HTTP01_PORT\)/],
    ['fail/http01-port-zero', { http01Port: '0' }, /ports are 1-65535/],
    ['fail/database-url-scheme', { databaseUrl: 'mysql://x' }, /databaseUrl.*postgres/],
    ['fail/redis-url', { redisUrl: 'not a url' }, /redisUrl/],
    ['fail/duration', { certLifetime: '1 week' }, /expected a duration/],
    ['fail/algorithm', { caKeyAlgorithm: 'dsa' }, /caKeyAlgorithm/],
    ['fail/log-level', { logLevel: 'loud' }, /logLevel/],
  ])('%s', (_name, flags, message) => {
    expect(() => loadConfig(flags, {})).toThrow(ConfigError);
    expect(() => loadConfig(flags, {})).toThrow(message);
  });

  it('fail/bad-boolean-env', () => {
    expect(() => loadConfig({}, { ROTOR_EAB_REQUIRED: 'maybe' })).toThrow(/eabRequired \(ROTOR_EAB_REQUIRED\)/);
  });

  it('fail/never-echoes-the-master-key', () => {
    expect(() => loadConfig({ masterKey: 4242424242 }, {})).toThrow(
      /masterKey \(ROTOR_MASTER_KEY\): invalid value \(not shown\)/,
    );
    expect(() => loadConfig({ masterKey: 4242424242 }, {})).not.toThrow(/4242424242/);
  });

  it('ok/exit-code-2', () => {
    expect(new ConfigError(['x']).exitCode).toBe(2);
  });
});
