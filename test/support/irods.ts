import { createIrodsClient } from '../../src/irods/client.js';
import type { IrodsClient, IrodsClientOptions } from '../../src/irods/types.js';
import { startIrodsStandin } from '../standins/irods-http-api/index.js';

type StandinOptions = NonNullable<Parameters<typeof startIrodsStandin>[0]>;
type Standin = Awaited<ReturnType<typeof startIrodsStandin>>;

/** Client settings a test may tune (the identity and URL come from the stand-in). */
export type ClientTuning = Partial<Omit<IrodsClientOptions, 'baseUrl' | 'username' | 'password'>>;

export interface IrodsForTest {
  readonly standin: Standin;
  /** The rodsadmin `rods` (password `rods`). */
  readonly client: IrodsClient;
  readonly zone: string;
  /** /<zone>/home/<user> */
  home(user?: string): string;
  /** A client for another account; closed by close(). */
  clientFor(user: string, password: string, tuning?: ClientTuning): IrodsClient;
  /** A client that reaches the stand-in through another port (a relay in front of it); closed by close(). */
  clientVia(port: number, user: string, password: string, tuning?: ClientTuning): IrodsClient;
  /** Creates a rodsuser (through the rods client) with a password, and a client for it. */
  makeUser(name: string, password?: string): Promise<{ name: string; password: string; client: IrodsClient }>;
  close(): Promise<void>;
}

/**
 * A fresh iRODS HTTP API stand-in for one test file, with a client as rods. Retries are made
 * quick so failure paths do not slow the suite; pass `client` to tune the clients.
 */
export async function startIrodsForTest(options: StandinOptions & { client?: ClientTuning } = {}): Promise<IrodsForTest> {
  const { client: tuning, ...standinOptions } = options;
  const standin = await startIrodsStandin(standinOptions);
  const zone = standin.zone;
  const clients: IrodsClient[] = [];
  const quick: ClientTuning = {
    requestTimeoutMs: 15_000,
    retry: { retries: 2, minTimeoutMs: 20, maxTimeoutMs: 100 },
    streamRetry: { retries: 4, minTimeoutMs: 50, maxTimeoutMs: 200 },
  };
  const clientAt = (baseUrl: string, username: string, password: string, extra?: ClientTuning): IrodsClient => {
    const c = createIrodsClient({ baseUrl, username, password, ...quick, ...tuning, ...extra });
    clients.push(c);
    return c;
  };
  const clientFor = (username: string, password: string, extra?: ClientTuning): IrodsClient => clientAt(standin.baseUrl, username, password, extra);
  const client = clientFor('rods', 'rods', { admin: true });
  return {
    standin,
    client,
    zone,
    home: (user = 'rods') => `/${zone}/home/${user}`,
    clientFor,
    clientVia: (port, username, password, extra) => {
      const url = new URL(standin.baseUrl);
      url.port = String(port);
      return clientAt(url.toString().replace(/\/+$/, ''), username, password, extra);
    },
    async makeUser(name, password = `${name}-pass-1234`) {
      await client.users.createUser(name, { zone, userType: 'rodsuser' });
      await client.users.setPassword(name, password, { zone });
      return { name, password, client: clientFor(name, password) };
    },
    async close() {
      await Promise.allSettled(clients.map((c) => c.close()));
      await standin.close();
    },
  };
}
