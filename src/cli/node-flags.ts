/**
 * V8 flags the agent runs with: the shebang of `main.ts`, the Docker image's ENTRYPOINT and the
 * benches' agent processes all use exactly these (a test checks that they agree).
 *
 * `--max-semi-space-size=4` (MiB; V8's default is 16 on 64-bit): the agent allocates fast and
 * briefly (request bodies, entry streams), and a young generation of 3 × 16 MiB sat in its
 * resident memory for nothing. Measured with `bench/expand` (10,000 small files from a zip):
 * peak RSS 259–310 → ~230 MiB, with no more CPU (scavenges of a smaller young generation are
 * more frequent but each is cheaper).
 */
export const AGENT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
