import net from 'node:net';

/** One client connection the balancer handed to an upstream. */
export interface Route {
  port: number;
  /** The start of what the client sent (an HTTP request line and headers). */
  first: string;
  open: boolean;
}

/**
 * A round-robin TCP load balancer on 127.0.0.1, as a Kubernetes Service or any layer-4 balancer
 * sees replicas: each new client connection goes to the next upstream port, and stays there for
 * its whole life (HTTP keep-alive, WebSockets). An upstream that refuses the connection (a
 * replica that is stopping, or not started yet) is skipped for the next one; when every upstream
 * refuses, the client connection is closed. Nothing else is retried: a connection an upstream
 * accepted and then drops is dropped for the client too.
 */
export class TcpBalancer {
  private readonly sockets = new Set<net.Socket>();
  private server: net.Server | null = null;
  private next = 0;
  /** Every connection handed to an upstream so far, oldest first. */
  readonly routes: Route[] = [];

  private constructor(
    private upstreams: number[],
    public port: number,
  ) {}

  static async start(upstreams: number[]): Promise<TcpBalancer> {
    const balancer = new TcpBalancer([...upstreams], 0);
    await balancer.listen();
    return balancer;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  /** The upstream ports, in round-robin order. */
  get ports(): readonly number[] {
    return this.upstreams;
  }

  /** Replaces the upstream ports (a replica moved to another port); open connections stay where they are. */
  setUpstreams(ports: number[]): void {
    this.upstreams = [...ports];
  }

  private listen(): Promise<void> {
    // Half-open both ways: each direction's end is passed on by pipe, so a response is never cut short.
    const server = net.createServer({ allowHalfOpen: true }, (client) => this.route(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  private route(client: net.Socket): void {
    client.pause();
    this.sockets.add(client);
    client.once('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    const attempt = (tried: number) => {
      if (client.destroyed) return;
      if (tried >= this.upstreams.length) {
        client.destroy();
        return;
      }
      const port = this.upstreams[this.next++ % this.upstreams.length]!;
      const upstream = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      let connected = false;
      upstream.once('error', (error: NodeJS.ErrnoException) => {
        if (!connected && error.code === 'ECONNREFUSED') attempt(tried + 1);
        else client.destroy();
      });
      upstream.once('connect', () => {
        connected = true;
        const route: Route = { port, first: '', open: true };
        this.routes.push(route);
        client.once('data', (chunk: Buffer) => (route.first = chunk.subarray(0, 512).toString('latin1')));
        client.once('close', () => (route.open = false));
        this.sockets.add(upstream);
        upstream.once('close', () => this.sockets.delete(upstream));
        // An upstream that went away abruptly (a killed replica) takes its client connection with it.
        upstream.on('error', () => client.destroy());
        client.once('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  }

  /** Open WebSocket connections (HTTP upgrades) to an upstream port. */
  webSockets(port: number): number {
    return this.routes.filter((r) => r.open && r.port === port && /^upgrade: websocket/im.test(r.first)).length;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
