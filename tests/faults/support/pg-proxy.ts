import { connect, createServer, type Server, type Socket } from "node:net";

// A TCP proxy in front of Postgres, for the bot's DATABASE_URL. It simulates what happens to a
// database connection in production:
// - cut(): every open connection is reset (a Postgres restart, a failover, an idle reset by a NAT).
// - pause("refuse"): open connections are reset and new ones are closed at once (Postgres down).
// - pause("hang"): nothing is forwarded and new connections are accepted but never answered
//   (a network partition); resume() forwards what was held.
// - slow(ms): every chunk in both directions is delayed by ms (order kept).
interface Link {
  client: Socket;
  upstream: Socket | null;
}

interface Held {
  from: Socket;
  to: () => Socket | null;
  chunk: Buffer;
}

export class PgProxy {
  #server: Server | null = null;
  readonly #links = new Set<Link>();
  #mode: "open" | "refuse" | "hang" = "open";
  #delayMs = 0;
  #held: Held[] = [];
  #waiting: (() => void)[] = [];
  port = 0;
  cuts = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<this> {
    const server = createServer((client) => this.#accept(client));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#server = server;
    this.port = (server.address() as { port: number }).port;
    return this;
  }

  get connections(): number {
    return this.#links.size;
  }

  cut(): number {
    const count = this.#links.size;
    for (const link of [...this.#links]) this.#close(link);
    this.cuts += 1;
    return count;
  }

  pause(mode: "refuse" | "hang"): void {
    this.#mode = mode;
    if (mode === "refuse") this.cut();
  }

  resume(): void {
    this.#mode = "open";
    // Connections that waited first (their early bytes go to their new upstream), then the rest.
    for (const connectNow of this.#waiting.splice(0)) connectNow();
    for (const held of this.#held.splice(0)) {
      const to = held.to();
      if (to && !to.destroyed) to.write(held.chunk);
    }
  }

  slow(delayMs: number): void {
    this.#delayMs = delayMs;
  }

  async stop(): Promise<void> {
    this.resume();
    this.cut();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  #accept(client: Socket): void {
    if (this.#mode === "refuse") {
      client.destroy();
      return;
    }
    const link: Link = { client, upstream: null };
    this.#links.add(link);
    client.on("error", () => this.#close(link));
    client.on("close", () => this.#close(link));
    const connectUpstream = () => {
      if (client.destroyed) return;
      const upstream = connect(this.targetPort, this.targetHost);
      link.upstream = upstream;
      upstream.on("error", () => this.#close(link));
      upstream.on("close", () => this.#close(link));
      this.#forward(upstream, () => link.client);
      this.#flushEarly(link);
    };
    this.#forward(client, () => link.upstream);
    if (this.#mode === "hang") this.#waiting.push(connectUpstream);
    else connectUpstream();
  }

  // Bytes the client sent before its upstream connection existed (or while hanging).
  #flushEarly(link: Link): void {
    const early = this.#held.filter((held) => held.from === link.client);
    this.#held = this.#held.filter((held) => held.from !== link.client);
    for (const held of early) link.upstream?.write(held.chunk);
  }

  #forward(from: Socket, to: () => Socket | null): void {
    let releaseAt = 0;
    from.on("data", (chunk: Buffer) => {
      const target = to();
      if (this.#mode === "hang" || !target) {
        this.#held.push({ from, to, chunk });
        return;
      }
      if (this.#delayMs <= 0) {
        target.write(chunk);
        return;
      }
      // Later chunks never overtake earlier ones.
      releaseAt = Math.max(Date.now() + this.#delayMs, releaseAt);
      setTimeout(() => {
        const now = to();
        if (now && !now.destroyed) now.write(chunk);
      }, releaseAt - Date.now());
    });
  }

  #close(link: Link): void {
    if (!this.#links.delete(link)) return;
    link.client.destroy();
    link.upstream?.destroy();
    this.#held = this.#held.filter((held) => held.from !== link.client && held.from !== link.upstream);
  }
}
