import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { closeWebSockets, CLOSE_SERVICE_RESTART, drainDeadline, HttpDrain, keepIdleConnectionsLonger } from './drain';
import { waitFor } from '../test/helpers/wait';

/** A server whose `/slow` requests wait until the test lets them go. */
async function slowServer(keepAliveTimeout = 5000) {
  const waiting: Array<() => void> = [];
  let served = 0;
  const server = http.createServer((req, res) => {
    served += 1;
    if (req.url === '/slow') {
      waiting.push(() => res.end('slow done'));
      return;
    }
    res.end('ok');
  });
  server.keepAliveTimeout = keepAliveTimeout;
  const drain = new HttpDrain(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    drain,
    port,
    served: () => served,
    waiting: () => waiting.length,
    release: () => waiting.splice(0).forEach((finish) => finish()),
  };
}

/** One request; `agent` decides whether the connection is kept for the next. */
function get(port: number, path: string, agent: http.Agent | false = false) {
  return new Promise<{ status: number; body: string; connection: string | undefined }>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
    });
    req.on('error', reject);
  });
}

/** Whether a new TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('HttpDrain', () => {
  it('lets a slow request in flight finish (with Connection: close) while new connections are refused', async () => {
    const s = await slowServer();
    const slow = get(s.port, '/slow');
    await waitFor(() => s.waiting() === 1, { what: 'the slow request to arrive' });
    const drained = s.drain.drain(10_000);
    expect(s.drain.isDraining).toBe(true);
    await waitFor(() => refused(s.port), { what: 'new connections to be refused' });
    let done = false;
    void drained.then(() => (done = true));
    expect(done).toBe(false);
    s.release();
    expect(await slow).toEqual({ status: 200, body: 'slow done', connection: 'close' });
    expect(await drained).toEqual({ graceful: true, cut: 0 });
    expect(s.server.listening).toBe(false);
  });

  it('serves a request that arrives on an idle keep-alive connection, then closes it; idle ones go after the keep-alive timeout', async () => {
    // Node sends `Keep-Alive: timeout=2`; its agent keeps an idle connection for a second less.
    const s = await slowServer(2500);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    // A client that ignores the hint and just keeps its connection open.
    const raw = net.connect(s.port, '127.0.0.1');
    let rawClosedAt = 0;
    raw.resume();
    raw.on('close', () => (rawClosedAt = performance.now()));
    try {
      raw.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await waitFor(() => s.served() === 1, { what: 'the raw request' });
      expect((await get(s.port, '/', agent)).connection).toBe('keep-alive');
      const started = performance.now();
      const drained = s.drain.drain(10_000);
      // The agent reuses its open connection during the drain: served, and told to close it.
      expect(await get(s.port, '/', agent)).toEqual({ status: 200, body: 'ok', connection: 'close' });
      // The raw one stays idle: closed once idle for the keep-alive timeout, not at once.
      expect(await drained).toEqual({ graceful: true, cut: 0 });
      await waitFor(() => rawClosedAt > 0, { what: 'the raw connection to close' });
      expect(rawClosedAt - started).toBeGreaterThanOrEqual(2000);
      expect(s.served()).toBe(3);
    } finally {
      agent.destroy();
      raw.destroy();
    }
  });

  it('cuts what is still running at the deadline', async () => {
    const s = await slowServer();
    const slow = get(s.port, '/slow').catch((error: NodeJS.ErrnoException) => error.code);
    await waitFor(() => s.waiting() === 1, { what: 'the slow request to arrive' });
    expect(await s.drain.drain(200)).toEqual({ graceful: false, cut: 1 });
    expect(await slow).toBe('ECONNRESET');
  });

  it('cuts a response that streams without end (server-sent events) when the drain starts', async () => {
    const server = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/event-stream');
      res.writeHead(200);
      res.write('data: 1\n\n');
    });
    const drain = new HttpDrain(server, { streams: (res) => res.getHeader('content-type') === 'text/event-stream' });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const ended = new Promise<string>((resolve) => {
      http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('close', () => resolve(body));
      });
    });
    await waitFor(() => drain.inFlight === 1, { what: 'the stream to start' });
    const started = performance.now();
    expect(await drain.drain(10_000)).toEqual({ graceful: true, cut: 0 });
    expect(await ended).toBe('data: 1\n\n');
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('keeps a fifth of the grace period, at most 2 s, for closing databases', () => {
    expect(drainDeadline(25_000)).toBe(23_000);
    expect(drainDeadline(5000)).toBe(4000);
    expect(drainDeadline(0)).toBe(0);
  });
});

describe('keep-alive timeouts', () => {
  it('has the clients close an idle connection seconds before the server would (no request sent on a closing connection)', async () => {
    // Node's HTTP agent, the gateway's upstream, keeps an idle connection for its own timeout or
    // the server's Keep-Alive hint, whichever is shorter; the server must wait longer than that.
    const server = http.createServer((_req, res) => res.end('ok'));
    keepIdleConnectionsLonger(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new http.Agent((http.globalAgent as http.Agent & { options: http.AgentOptions }).options);
    const closedAt: number[] = [];
    server.on('connection', (socket) => socket.on('close', () => closedAt.push(performance.now())));
    try {
      const port = (server.address() as AddressInfo).port;
      const started = performance.now();
      expect((await get(port, '/', agent)).status).toBe(200);
      // What Node's fetch (undici) sees: an advertised timeout well below the server's own.
      const viaFetch = await fetch(`http://127.0.0.1:${port}/`);
      expect(viaFetch.headers.get('keep-alive')).toBe('timeout=5');
      await viaFetch.text();
      const idle = Object.values(agent.freeSockets).flat()[0]!;
      expect(idle.timeout).toBeGreaterThan(0);
      expect(idle.timeout).toBeLessThan(server.keepAliveTimeout);
      // Both connections go when their client's timeout ends, not the server's.
      await waitFor(() => closedAt.length === 2, { timeoutMs: server.keepAliveTimeout + 5000, what: 'both idle connections to close' });
      expect(Math.max(...closedAt) - started).toBeLessThan(server.keepAliveTimeout);
    } finally {
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('closeWebSockets', () => {
  it('closes every client with 1012 (service restart)', async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    const drain = new HttpDrain(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const closes: Array<Promise<{ code: number; reason: string }>> = [];
    for (let i = 0; i < 2; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}`);
      closes.push(new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) }))));
      await new Promise((resolve) => ws.once('open', resolve));
    }
    const drained = drain.drain(10_000);
    await closeWebSockets(wss, 5000);
    expect(await Promise.all(closes)).toEqual([
      { code: CLOSE_SERVICE_RESTART, reason: 'Service Restart' },
      { code: CLOSE_SERVICE_RESTART, reason: 'Service Restart' },
    ]);
    expect(await drained).toEqual({ graceful: true, cut: 0 });
  });
});
