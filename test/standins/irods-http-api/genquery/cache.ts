/**
 * Recent GenQuery results by (caller, query, options, catalog generation). Clients page through
 * results 15 rows at a time; without this every page would re-run the whole query. Any catalog
 * change bumps the generation, so a cached result is never stale.
 */
export class QueryCache {
  private readonly entries = new Map<string, string[][]>();

  constructor(private readonly capacity = 16) {}

  get(key: string): string[][] | undefined {
    const rows = this.entries.get(key);
    if (rows) {
      this.entries.delete(key);
      this.entries.set(key, rows);
    }
    return rows;
  }

  set(key: string, rows: string[][]): void {
    this.entries.set(key, rows);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }
}
