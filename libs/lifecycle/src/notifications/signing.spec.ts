import { SIGNATURE_HEADER, signWebhook, signatureHex, verifyWebhookSignature } from './signing';

const SECRET = 'whsec_test-secret-0123456789';
const BODY = JSON.stringify({
  id: 'e1',
  type: 'certificate.issued',
  at: '2030-01-01T00:00:00.000Z',
  subjectId: 'x',
  data: {},
});
const NOW = Date.UTC(2030, 0, 1);
const T = Math.floor(NOW / 1000);

describe('webhook signatures', () => {
  it('signs t=<unix>,v1=<HMAC-SHA256(secret, "<t>.<body>")> (Stripe-style)', () => {
    expect(SIGNATURE_HEADER).toBe('Rotor-Signature');
    const header = signWebhook(SECRET, BODY, T);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    // Independently computed reference value.
    const { createHmac } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    expect(header).toBe(`t=${T},v1=${createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex')}`);
  });

  it('verifies a fresh signature', () => {
    expect(verifyWebhookSignature(signWebhook(SECRET, BODY, T), BODY, SECRET, NOW + 10_000)).toEqual({
      ok: true,
      timestamp: T,
    });
  });

  it('rejects a changed body, a wrong secret and a signature for another timestamp', () => {
    const header = signWebhook(SECRET, BODY, T);
    expect(verifyWebhookSignature(header, BODY.replace('issued', 'revoked'), SECRET, NOW)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifyWebhookSignature(header, BODY, 'whsec_other-secret-000000', NOW)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    // Moving the timestamp forward (to pass the replay window) breaks the MAC.
    const moved = header.replace(`t=${T}`, `t=${T + 600}`);
    expect(verifyWebhookSignature(moved, BODY, SECRET, NOW + 600_000)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects replays outside the tolerance window (default 5 minutes), in both directions', () => {
    const header = signWebhook(SECRET, BODY, T);
    expect(verifyWebhookSignature(header, BODY, SECRET, NOW + 299_000).ok).toBe(true);
    expect(verifyWebhookSignature(header, BODY, SECRET, NOW + 301_000)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhookSignature(header, BODY, SECRET, NOW - 301_000)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhookSignature(header, BODY, SECRET, NOW + 3_600_000, 7200).ok).toBe(true);
  });

  it('accepts any of several v1 values (secret rotation)', () => {
    const header = `t=${T},v1=${signatureHex('old-secret-0000000000', T, BODY)},v1=${signatureHex(SECRET, T, BODY)}`;
    expect(verifyWebhookSignature(header, BODY, SECRET, NOW).ok).toBe(true);
  });

  it.each([undefined, '', 'v1=abc', `t=${T}`, `t=abc,v1=${'0'.repeat(64)}`, `t=${T},v1=${'z'.repeat(64)}`, 'garbage'])(
    'rejects the malformed header %p',
    (header) => expect(verifyWebhookSignature(header, BODY, SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' }),
  );
});
