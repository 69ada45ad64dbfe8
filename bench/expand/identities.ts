/** Who uploads in the bench (a scientist) and who expands (the agent's rodsadmin account). */
export const ALICE = { name: 'alice', password: 'alice-bench-pass' } as const;
export const AGENT_ACCOUNT = { name: 'rods', password: 'rods' } as const;
