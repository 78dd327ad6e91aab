import { parse } from 'yaml';

/*
 * What the Prometheus JMX exporter (1.0.1) makes of one MBean attribute under a rules file, for
 * tests of the rules the library renders: the exporter wraps each pattern as `^.*(?:pattern).*$`,
 * takes the first rule that matches `domain<key=value, ...><>attribute: value`, fills in $1..$n,
 * lower-cases the name when told to, and replaces what a metric name may not hold with '_'.
 * The integration stage runs the real exporter on the same rules; this makes each rule testable
 * on its own, including the beans a rule must not match.
 */

export interface JmxRules {
  readonly lowercaseOutputName?: boolean;
  readonly lowercaseOutputLabelNames?: boolean;
  readonly includeObjectNames?: string[];
  readonly rules: Array<{ pattern: string; name: string; labels?: { [key: string]: string }; type?: string; valueFactor?: number }>;
}

export interface JmxSeries {
  readonly name: string;
  readonly labels: { [key: string]: string };
  readonly type?: string;
  readonly valueFactor?: number;
}

export function parseRules(text: string): JmxRules {
  return parse(text) as JmxRules;
}

/** The series `bean` (`kafka.server<type=ReplicaManager, name=LeaderCount><>Value`) becomes, or undefined. */
export function seriesOf(rules: JmxRules, bean: string): JmxSeries | undefined {
  const line = `${bean}: 1`;
  for (const rule of rules.rules) {
    const match = new RegExp(`^.*(?:${rule.pattern}).*$`).exec(line);
    if (!match) { continue; }
    const fill = (template: string) => template.replace(/\$(\d+)/g, (_, i) => match[Number(i)] ?? '');
    const safe = (name: string) => name.replace(/[^a-zA-Z0-9:_]/g, '_');
    const name = fill(rule.name);
    const labels: { [key: string]: string } = {};
    for (const [key, value] of Object.entries(rule.labels ?? {})) {
      labels[safe(rules.lowercaseOutputLabelNames ? key.toLowerCase() : key)] = fill(String(value));
    }
    return { name: safe(rules.lowercaseOutputName ? name.toLowerCase() : name), labels, type: rule.type, valueFactor: rule.valueFactor };
  }
  return undefined;
}

/** Whether the agent reads `bean` at all: its domain and key properties fit one of `includeObjectNames`. */
export function included(rules: JmxRules, bean: string): boolean {
  const [, domain, keys] = /^([^<]+)<([^>]*)>/.exec(bean) ?? [];
  const properties = new Map(keys.split(', ').map((kv) => kv.split('=') as [string, string]));
  return (rules.includeObjectNames ?? []).some((pattern) => {
    const [patternDomain, list] = pattern.split(':');
    const wanted = list.split(',').filter((kv) => kv !== '*').map((kv) => kv.split('='));
    const exact = !list.split(',').includes('*');
    return patternDomain === domain
      && wanted.every(([k, v]) => properties.get(k) === v)
      && (!exact || wanted.length === properties.size);
  });
}
