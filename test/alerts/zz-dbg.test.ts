import { startLoggedRotor } from './launch';
import { startRotor } from '@rotor/testing';
jest.setTimeout(30000);
it('raw', async () => {
  const r = await startRotor({});
  const race = (p: Promise<unknown>) => Promise.race([p, new Promise((res) => setTimeout(() => res('TIMEOUT'), 3000))]);
  process.stderr.write(`plain tokens: ${JSON.stringify(await race(r.api('POST', '/api/v1/tokens', { rawBody: '{"url":', headers: { 'content-type': 'application/json' } }).then(x => x.status)))}\n`);
  process.stderr.write(`plain webhooks: ${JSON.stringify(await race(r.api('POST', '/api/v1/webhooks', { rawBody: '{"url":', headers: { 'content-type': 'application/json' } }).then(x => x.status)))}\n`);
  await r.stop();
  const l = await startLoggedRotor({});
  process.stderr.write(`logged webhooks: ${JSON.stringify(await race(l.api('POST', '/api/v1/webhooks', { rawBody: '{"url":', headers: { 'content-type': 'application/json' } }).then(x => x.status)))}\n`);
  process.stderr.write(`logged tokens: ${JSON.stringify(await race(l.api('POST', '/api/v1/tokens', { rawBody: '{"url":', headers: { 'content-type': 'application/json' } }).then(x => x.status)))}\n`);
  await l.stop();
});
