import net from 'node:net';

/**
 * A TCP proxy the tests put between the platform and PostgreSQL or Redis, to take the service away
 * (every connection cut, new ones refused) and bring it back, as a restart looks from outside.
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private server: net.Server | null = null;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    public port: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort, 0);
    await proxy.listen();
    return proxy;
  }

  /** A proxy in front of the server a URL names (`defaultPort` when it names none), and that URL pointed at the proxy. */
  static async inFrontOf(serviceUrl: string, defaultPort: number): Promise<{ proxy: TcpProxy; url: string }> {
    const target = new URL(serviceUrl);
    const proxy = await TcpProxy.start(target.hostname || '127.0.0.1', Number(target.port || defaultPort));
    const url = new URL(serviceUrl);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    return { proxy, url: url.toString() };
  }

  private listen(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      this.sockets.add(client).add(upstream);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  /** Client connections open through the proxy now. */
  get connections(): number {
    return this.sockets.size / 2;
  }

  /** Cuts every connection and stops accepting new ones. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Accepts connections again, on the same port. */
  async up(): Promise<void> {
    if (!this.server) await this.listen();
  }

  async stop(): Promise<void> {
    await this.down();
  }
}
