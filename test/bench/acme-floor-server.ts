/**
 * The least an ACME request can cost a Node.js server: node:https with
 * keep-alive, the request body read as text, and an answer with the headers
 * an ACME response carries. No routing, no JWS, no database. Started by
 * acme-floor.ts as a child process so its CPU can be read on its own.
 *
 *   node dist/test/bench/acme-floor-server.js <key.pem> <cert.pem>
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const [keyPath, certPath] = process.argv.slice(2);
const answer = JSON.stringify({
  status: 'pending',
  expires: '2026-11-29T00:00:00Z',
  identifiers: [{ type: 'dns', value: 'i0123456789ab.bench.example.test' }],
  authorizations: ['https://127.0.0.1:8443/acme/authz/0123456789abcdef0123456789'],
  finalize: 'https://127.0.0.1:8443/acme/order/0123456789abcdef0123456789/finalize',
});

const server = createServer({ key: readFileSync(keyPath), cert: readFileSync(certPath) }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'replay-nonce': 'TC_lW5cHyPHKGvvK6WflpQ',
      'cache-control': 'no-store',
      link: '<https://127.0.0.1:8443/acme/directory>;rel="index"',
      location: 'https://127.0.0.1:8443/acme/order/0123456789abcdef0123456789',
      'content-length': String(Buffer.byteLength(answer)),
    });
    res.end(answer);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
