import type { WebhookTransport } from '@rotor/lifecycle';

/**
 * POSTs webhook bodies with fetch: no redirects followed (a 3xx is a failed
 * attempt, so a receiver cannot bounce signed events elsewhere), a hard
 * timeout, and the response body discarded. Errors are reduced to a short
 * reason (connect refused, timeout, TLS) that the delivery log can show.
 */
export class FetchWebhookTransport implements WebhookTransport {
  async post(
    url: string,
    body: string,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<{ status: number }> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        body,
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new Error(reason(error, timeoutMs));
    }
    await response.body?.cancel().catch(() => undefined);
    return { status: response.status };
  }
}

function reason(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  if (e?.cause?.code) return `${e.cause.code}${e.cause.message ? `: ${e.cause.message}` : ''}`;
  return e?.cause?.message ?? e?.message ?? 'request failed';
}
