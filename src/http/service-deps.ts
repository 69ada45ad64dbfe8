import type pg from 'pg';
import type { Config } from '../config/index.js';
import type { IrodsClient } from '../irods/types.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PipelineQueues } from '../pipeline/queues.js';

/** What the HTTP app and its routes are built from (the composition root hands them in). */
export interface ServiceDeps {
  readonly config: Config;
  readonly pool: pg.Pool;
  readonly queues: PipelineQueues;
  readonly irods: IrodsClient | undefined;
  readonly log: Logger;
  readonly metrics: Metrics;
}
