/**
 * The few command-line switches the benches take (`--quick`, `--size-gib 2`, `--rounds 3`).
 * Benches are scripts, not services: they read process.argv directly, nothing else does.
 */
export function hasFlag(name: string, argv: readonly string[] = process.argv): boolean {
  return argv.includes(`--${name}`);
}

/** The value after `--name`, or undefined. */
export function stringArg(name: string, argv: readonly string[] = process.argv): string | undefined {
  const at = argv.indexOf(`--${name}`);
  return at === -1 ? undefined : argv[at + 1];
}

/** A positive number after `--name`, else the fallback (a typo fails loudly rather than silently benchmarking the default). */
export function numberArg(name: string, fallback: number, argv: readonly string[] = process.argv): number {
  const raw = stringArg(name, argv);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} wants a positive number, got "${raw}"`);
  return n;
}
