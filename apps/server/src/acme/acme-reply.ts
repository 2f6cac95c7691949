import type { ServerResponse } from 'node:http';
import type { HeaderTarget } from '../http/links';

/** What a handler returns: a JSON body, a text body, or nothing (empty body). */
export type AcmeBody = object | string | undefined;

/**
 * The response of one ACME request, collected while the request is served
 * and written once with a single writeHead + end (one TLS write). Header
 * names are kept lower-case, as HTTP/1.1 compares them case-insensitively.
 */
export class AcmeReply implements HeaderTarget {
  status = 200;
  private readonly headers: Record<string, string | string[]> = {};

  code(status: number): this {
    this.status = status;
    return this;
  }

  header(name: string, value: string | string[]): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }

  getHeader(name: string): string | string[] | undefined {
    return this.headers[name.toLowerCase()];
  }

  type(contentType: string): this {
    return this.header('content-type', contentType);
  }

  /** Writes the response: objects as JSON, text as given, undefined as an empty body. */
  send(res: ServerResponse, body: AcmeBody): void {
    let text = '';
    if (typeof body === 'string') {
      text = body;
      this.headers['content-type'] ??= 'text/plain; charset=utf-8';
    } else if (body !== undefined) {
      text = JSON.stringify(body);
      this.headers['content-type'] ??= 'application/json; charset=utf-8';
    }
    // No body for 204 (RFC 9110 §15.3.5); node leaves it out for HEAD by itself.
    if (this.status !== 204) this.headers['content-length'] = String(Buffer.byteLength(text));
    res.writeHead(this.status, this.headers);
    res.end(this.status === 204 ? undefined : text);
  }

  /** Writes a rendered problem, keeping the headers every ACME response carries (nonce, Link). */
  sendProblem(res: ServerResponse, problem: { status: number; headers: Record<string, string>; body: string }): void {
    this.status = problem.status;
    delete this.headers.location;
    delete this.headers['content-type'];
    Object.assign(this.headers, problem.headers);
    this.send(res, problem.body);
  }
}
