import { Queue, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { FIRST_STEP, STEP_ORDER, type StepName } from '../store/index.js';

/** What a BullMQ job carries: only pointers; PostgreSQL holds the facts. */
export interface StepJobData {
  readonly jobId: string;
  readonly run: number;
  readonly step: StepName;
}

/** BullMQ refuses ':' in custom ids. One id per job, run and step: enqueueing twice is harmless. */
export function bullJobId(data: StepJobData): string {
  return `${data.jobId}.${data.run}.${data.step}`;
}

export interface RedisOptions {
  readonly url: string;
  readonly prefix: string;
}

/**
 * A Redis connection for producers: fails fast when Redis is down (no offline queue), so the
 * intake can answer 503 instead of hanging. It reconnects by itself, every 0.25 s doubling up
 * to 5 s: soon after Redis is back, without a storm of attempts (each one is a log line).
 */
export function createProducerConnection(url: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(250 * 2 ** Math.min(times - 1, 5), 5_000),
  });
}

/** Errors that only say the Redis connection is down (reported once per attempt elsewhere). */
export function isRedisConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE'].includes(code)) return true;
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' && /Connection is closed|connect ETIMEDOUT|Stream isn't writeable/i.test(message);
}

/** A Redis connection for workers: BullMQ requires maxRetriesPerRequest null for blocking calls. */
export function createWorkerConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 200, 5_000) });
}

/** The step queues, sharing one producer connection. */
export class PipelineQueues {
  private readonly queues: Map<StepName, Queue<StepJobData>>;

  constructor(
    readonly connection: Redis,
    readonly prefix: string,
    private readonly defaults: { attempts: number; backoffMs: number },
  ) {
    this.queues = new Map(STEP_ORDER.map((step) => [step, new Queue<StepJobData>(step, { connection, prefix })]));
  }

  queue(step: StepName): Queue<StepJobData> {
    return this.queues.get(step) as Queue<StepJobData>;
  }

  all(): Queue<StepJobData>[] {
    return [...this.queues.values()];
  }

  /** The intake's view: new jobs start with this step. */
  readonly firstStep: StepName = FIRST_STEP;

  /** Schedules the first step of new jobs, in one round trip (the intake's group commit). */
  async enqueueFirst(jobs: readonly { jobId: string; run: number }[], delayMs: number): Promise<void> {
    if (jobs.length === 0) return;
    await this.queue(FIRST_STEP).addBulk(
      jobs.map((job) => {
        const data: StepJobData = { ...job, step: FIRST_STEP };
        return { name: FIRST_STEP, data, opts: this.jobOptions(data, delayMs) };
      }),
    );
  }

  /** Adds the step job; `delayMs` > 0 schedules it (debounce). Idempotent per job, run and step. */
  async enqueue(data: StepJobData, delayMs = 0): Promise<void> {
    await this.queue(data.step).add(data.step, data, this.jobOptions(data, delayMs));
  }

  private jobOptions(data: StepJobData, delayMs: number): JobsOptions {
    return {
      jobId: bullJobId(data),
      delay: Math.max(0, Math.round(delayMs)),
      attempts: this.defaults.attempts,
      backoff: { type: 'exponential', delay: this.defaults.backoffMs },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    };
  }

  /** Waits until the connection is ready (or the timeout passes); false if Redis is not there. */
  async waitUntilReady(timeoutMs = 5_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.connection.status !== 'ready') {
      if (Date.now() > deadline || this.connection.status === 'end') return false;
      await new Promise((r) => setTimeout(r, 25));
    }
    return true;
  }

  /**
   * Whether the connection to Redis is up, without a round trip: when it drops, ioredis changes
   * state at once (and adds fail fast: no offline queue), so the intake can answer 503.
   */
  isConnected(): boolean {
    return this.connection.status === 'ready';
  }

  /** True when Redis answers now. */
  async ping(): Promise<boolean> {
    if (this.connection.status !== 'ready') return false;
    try {
      return (await this.connection.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((q) => q.close()));
  }
}
