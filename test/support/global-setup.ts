import net from 'node:net';

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Fails fast with one clear sentence when the real services the tests need are not running. */
export default async function setup(): Promise<void> {
  // `make contract` runs the stand-in's conformance tests against a real server: they need neither.
  if (process.env.IRODS_CONTRACT === '1') return;
  const missing: string[] = [];
  if (!(await reachable(5432))) missing.push('PostgreSQL on 127.0.0.1:5432');
  if (!(await reachable(6379))) missing.push('Redis on 127.0.0.1:6379');
  if (missing.length) {
    throw new Error(`${missing.join(' and ')} not reachable: run \`make services\` (or \`make test\`, which starts them)`);
  }
}
