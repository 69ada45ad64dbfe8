/**
 * V8 flags the agent runs with: the shebang of `main.ts`, the Docker image's ENTRYPOINT and the
 * benches' agent processes all use exactly these (a test checks that they agree).
 *
 * `--max-semi-space-size=4` (MiB; V8's default is 16 on 64-bit): the agent allocates fast and
 * briefly (request bodies, entry streams), and a young generation of 3 × 16 MiB sat in its
 * resident memory. Measured with `bench/expand` (2 vCPUs, alternating runs): peak RSS while
 * expanding 10,000 small files from a zip 259–310 → 231–279 MiB, 1 GiB of big files 236–248 →
 * 189–234 MiB. Scavenges are more frequent: agent CPU for the small files moved within the
 * run-to-run noise of this machine (the stand-in's own CPU moved as much between the same runs),
 * but may cost up to ~10 % there; the RSS bound is the harder requirement.
 */
export const AGENT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
