import type { Metric, Registry } from "prom-client";

type Labels = Record<string, string>;

interface Child {
  labels: Labels;
  /** Observations per bucket (not cumulative); the last slot is above every bound (+Inf only). */
  perBucket: number[];
  sum: number;
  count: number;
}

/** One sample as prom-client's registry renders it (`MetricValueWithName` in its types). */
interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/**
 * A labelled histogram whose children count in place, for what is observed on every request:
 * prom-client's `labels(...).observe()` validates and hashes the label object on each call. The
 * children are exposed through prom-client's registry (the same text format, `le` buckets, `_sum`
 * and `_count`), and `counter` names a counter of the same observations (`http_requests_total`
 * beside `http_request_duration_seconds`), so one observation feeds both.
 */
export class InPlaceHistogram {
  readonly #children = new Map<string, Child>();

  constructor(
    registry: Registry,
    readonly options: {
      name: string;
      help: string;
      buckets: readonly number[];
      counter?: { name: string; help: string };
    },
  ) {
    registry.registerMetric(this.#metric(options.name, options.help, "histogram", () => this.#histogram()));
    const { counter } = options;
    if (counter) {
      registry.registerMetric(
        this.#metric(counter.name, counter.help, "counter", () =>
          [...this.#children.values()].map((c) => ({ value: c.count, labels: c.labels })),
        ),
      );
    }
  }

  /** The recorder of one label set, made once per set (keep it: making one looks it up). */
  child(labels: Labels): (value: number) => void {
    const key = JSON.stringify(labels);
    let child = this.#children.get(key);
    if (!child) {
      child = {
        labels: { ...labels },
        perBucket: new Array(this.options.buckets.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      this.#children.set(key, child);
    }
    const { buckets } = this.options;
    const own = child;
    return (value) => {
      let i = 0;
      while (i < buckets.length && value > buckets[i]!) i++;
      own.perBucket[i]!++;
      own.sum += value;
      own.count++;
    };
  }

  #histogram(): Sample[] {
    const { name, buckets } = this.options;
    const samples: Sample[] = [];
    for (const child of this.#children.values()) {
      let cumulative = 0;
      buckets.forEach((le, i) => {
        cumulative += child.perBucket[i]!;
        samples.push({ value: cumulative, labels: { le, ...child.labels }, metricName: `${name}_bucket` });
      });
      samples.push({
        value: child.count,
        labels: { le: "+Inf", ...child.labels },
        metricName: `${name}_bucket`,
      });
      samples.push({ value: child.sum, labels: child.labels, metricName: `${name}_sum` });
      samples.push({ value: child.count, labels: child.labels, metricName: `${name}_count` });
    }
    return samples;
  }

  /** What prom-client's registry reads of a metric: its name, help, type and samples. */
  #metric(name: string, help: string, type: "histogram" | "counter", values: () => Sample[]): Metric {
    const metric = {
      name,
      help,
      type,
      aggregator: "sum",
      get: async () => ({ name, help, type, aggregator: "sum", values: values() }),
      reset: () => this.#children.clear(),
    };
    return metric as unknown as Metric;
  }
}
