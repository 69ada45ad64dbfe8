import net from 'node:net';

export interface TcpRelay {
  /** The port the relay listens on (the same after close() and open()). */
  readonly port: number;
  /** Bytes relayed towards the target so far. */
  readonly bytesUp: number;
  /** Refuses new connections and cuts every open one, as a host that went away does. */
  close(): Promise<void>;
  /** Listens again on the same port. */
  open(): Promise<void>;
  /** Stops moving bytes on every connection (they stay open, stalled), until resume(). */
  pause(): void;
  resume(): void;
  /** close(), for good. */
  stop(): Promise<void>;
}

/**
 * A TCP relay in front of a service (the iRODS stand-in, PostgreSQL…), for fault injection:
 * the test cuts the service off (close: connection refused, open sockets reset), brings it back
 * (open), or freezes it (pause: a service that stops answering).
 */
export async function startTcpRelay(target: { host: string; port: number }, options: { port?: number } = {}): Promise<TcpRelay> {
  const sockets = new Set<net.Socket>();
  let paused = false;
  let bytesUp = 0;
  let server: net.Server | undefined;
  let port = options.port ?? 0;

  const handle = (client: net.Socket) => {
    const upstream = net.connect(target);
    sockets.add(client);
    sockets.add(upstream);
    if (paused) {
      client.pause();
      upstream.pause();
    }
    client.on('data', (chunk: Buffer) => {
      bytesUp += chunk.length;
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => !paused && client.resume());
    upstream.on('data', (chunk: Buffer) => {
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => !paused && upstream.resume());
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  };

  const open = async () => {
    const s = net.createServer(handle);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as net.AddressInfo).port;
    server = s;
  };

  const close = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await open();
  return {
    get port() {
      return port;
    },
    get bytesUp() {
      return bytesUp;
    },
    close,
    open,
    pause() {
      paused = true;
      for (const socket of sockets) socket.pause();
    },
    resume() {
      paused = false;
      for (const socket of sockets) socket.resume();
    },
    stop: close,
  };
}
