import { readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/observability/metrics.js';

/**
 * The Grafana dashboard and the Prometheus alerts (deploy/) ask only for what the agent exports:
 * every query parses as PromQL, and every metric and label it selects is one /metrics serves.
 */

const repo = (path: string): string => new URL(`../../../${path}`, import.meta.url).pathname;

/** Series Prometheus makes itself for each target, not the agent. */
const PROMETHEUS_OWN: Record<string, readonly string[]> = { up: ['job', 'instance'] };
/** Labels Prometheus attaches to every scraped series. */
const TARGET_LABELS = ['job', 'instance'];

/** Every series name /metrics can show (histograms as _bucket, _sum, _count), with its labels. */
async function exportedSeries(): Promise<Map<string, Set<string>>> {
  const metrics = createMetrics();
  const series = new Map<string, Set<string>>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    // The labels it is declared with (a counter never incremented has no values to show them yet).
    const declared = (metrics.registry.getSingleMetric(m.name) as unknown as { labelNames?: readonly string[] }).labelNames ?? [];
    const labels = new Set([...TARGET_LABELS, ...declared]);
    for (const v of m.values) for (const l of Object.keys(v.labels)) labels.add(l);
    const type = String(m.type);
    const names = type === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : type === 'summary' ? [m.name, `${m.name}_sum`, `${m.name}_count`] : [m.name];
    for (const n of names) series.set(n, n.endsWith('_bucket') ? new Set([...labels, 'le']) : labels);
  }
  for (const [name, labels] of Object.entries(PROMETHEUS_OWN)) series.set(name, new Set(labels));
  return series;
}

interface Selection {
  readonly metric: string;
  readonly labels: readonly string[];
}

/** The metrics a PromQL expression selects, with the labels its matchers name; throws when it does not parse. */
function selections(expr: string): Selection[] {
  const tree = parser.parse(expr);
  const found: Selection[] = [];
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) throw new Error(`not PromQL at ${cursor.from}: ${expr}`);
    if (cursor.name === 'VectorSelector') {
      const node = cursor.node;
      const metric = node.getChild('Identifier');
      const labels = node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher').map((m) => m.getChild('LabelName')).filter((n) => n !== null) ?? [];
      found.push({ metric: metric ? expr.slice(metric.from, metric.to) : '', labels: labels.map((l) => expr.slice(l.from, l.to)) });
    }
  } while (cursor.next());
  return found;
}

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
  datasource?: { uid: string };
}

const dashboard = JSON.parse(readFileSync(repo('deploy/grafana/dashboards/irods-omero-agent.json'), 'utf8')) as { uid: string; panels: Panel[] };
const alerts = parseYaml(readFileSync(repo('deploy/prometheus/alerts.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
const datasources = parseYaml(readFileSync(repo('deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as { datasources: { uid: string }[] };

const queries: { where: string; expr: string }[] = [
  ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
  ...alerts.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }))),
];

describe('the dashboard and the alerts', () => {
  it('select only metrics and labels the agent exports', async () => {
    const exported = await exportedSeries();
    const problems: string[] = [];
    for (const q of queries) {
      for (const s of selections(q.expr)) {
        const labels = exported.get(s.metric);
        if (!labels) problems.push(`${q.where}: ${s.metric || '(no name)'} is not exported`);
        else for (const l of s.labels) if (!labels.has(l)) problems.push(`${q.where}: ${s.metric} has no label ${l}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('cover what operators watch: events, jobs by state and step, step durations, expansion, queues, iRODS, and the five alerts', () => {
    const used = new Set(queries.flatMap((q) => selections(q.expr).map((s) => s.metric)));
    for (const metric of [
      'ioa_events_total',
      'ioa_event_answers_total',
      'ioa_jobs',
      'ioa_job_transitions_total',
      'ioa_jobs_stuck',
      'ioa_step_duration_seconds_bucket',
      'ioa_expanded_bytes_total',
      'ioa_expanded_files_total',
      'ioa_queue_jobs',
      'ioa_irods_request_duration_seconds_bucket',
      'ioa_irods_request_duration_seconds_count',
    ]) {
      expect(used, metric).toContain(metric);
    }
    const names = alerts.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(names).toEqual(expect.arrayContaining(['IrodsOmeroAgentJobsFailed', 'IrodsOmeroAgentJobsStuck', 'IrodsOmeroAgentQueueGrowing', 'IrodsOmeroAgentIrodsErrors', 'IrodsOmeroAgentIntakeUnavailable']));
  });

  it('the dashboard reads the data source the compose stack provisions', () => {
    const uids = new Set(datasources.datasources.map((d) => d.uid));
    for (const p of dashboard.panels.filter((p) => p.type !== 'row')) expect(uids, p.title).toContain(p.datasource?.uid);
  });

  it('would catch a metric the agent does not export', () => {
    expect(selections('sum(rate(ioa_no_such_total{state="x"}[5m])) > 0')).toEqual([{ metric: 'ioa_no_such_total', labels: ['state'] }]);
    expect(() => selections('sum(rate(ioa_events_total[5m]')).toThrow(/not PromQL/);
  });
});
