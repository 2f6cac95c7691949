/** Test helpers: loopback listeners on ephemeral ports, closed for sure in afterAll. */
import * as dgram from 'node:dgram';
import * as net from 'node:net';

const openSockets = new WeakMap<net.Server, Set<net.Socket>>();

export async function listen(server: net.Server, host = '127.0.0.1', port = 0): Promise<number> {
  if (!openSockets.has(server)) {
    const sockets = new Set<net.Socket>();
    openSockets.set(server, sockets);
    server.on('connection', (socket: net.Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as net.AddressInfo).port;
}

export async function close(server: net.Server): Promise<void> {
  if (!server.listening) return;
  const done = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const socket of openSockets.get(server) ?? []) socket.destroy();
  await done;
}

/** A port free on 127.0.0.1 right now (for tools that cannot take port 0). */
export async function freePort(kind: 'tcp' | 'udp+tcp'): Promise<number> {
  for (;;) {
    const tcp = net.createServer();
    const port = await listen(tcp);
    let ok = true;
    if (kind === 'udp+tcp') {
      const udp = dgram.createSocket('udp4');
      ok = await new Promise<boolean>((resolve) => {
        udp.once('error', () => resolve(false));
        udp.bind(port, '127.0.0.1', () => resolve(true));
      });
      await new Promise<void>((resolve) => (ok ? udp.close(() => resolve()) : resolve()));
    }
    await close(tcp);
    if (ok) return port;
  }
}

/** A UDP socket that swallows every query: a DNS server that never answers. */
export async function silentUdpServer(): Promise<{ address: string; close: () => Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const { port } = socket.address();
  return { address: `127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}

/** True when ::1 can be bound here (IPv6 test cases are skipped otherwise). */
export async function ipv6Available(): Promise<boolean> {
  const probe = net.createServer();
  try {
    await listen(probe, '::1');
    await close(probe);
    return true;
  } catch {
    return false;
  }
}
