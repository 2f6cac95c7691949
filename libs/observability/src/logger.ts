import pino, { Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON logs. Anything that could carry a secret is redacted by
 * path, so a careless `logger.info({ config })` cannot leak the master key.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'rotor' },
      redact: {
        paths: [
          'masterKey',
          '*.masterKey',
          'privateKey',
          '*.privateKey',
          'key',
          '*.key',
          'hmacKey',
          '*.hmacKey',
          'authorization',
          '*.authorization',
          'req.headers.authorization',
          'token',
          '*.token',
        ],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
