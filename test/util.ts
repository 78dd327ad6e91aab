import { App, Chart, Testing } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';

/** A fresh app and a chart in namespace `db`, as most tests want. */
export function newChart(namespace: string | undefined = 'db'): Chart {
  return new Chart(Testing.app(), 'test', namespace ? { namespace } : {});
}

/** Synthesized objects of a chart. */
export function synth(chart: Chart): any[] {
  return Testing.synth(chart);
}

/** The only object of `kind` (and `name`, if given); fails when there is not exactly one. */
export function only(objects: any[], kind: string, name?: string): any {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` named ${name}` : ''}, found ${found.length}: ${objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ')}`);
  }
  return found[0];
}

/** Whether a matchLabels-style selector selects objects with these labels. */
export function selects(selector: { [key: string]: string }, labels: { [key: string]: string }): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** YAML of a whole app, as `cdk8s synth` writes it. */
export function appYaml(build: (app: App) => void): string {
  const app = Testing.app();
  build(app);
  return app.synthYaml();
}

/** A construct at `test/<id>` in a fresh chart of namespace `db`, where an engine construct would be. */
export function childScope(id = 'shop'): Construct {
  return new Construct(newChart(), id);
}

/** A RegExp that matches the whole message and nothing else (toThrow with a string matches any substring). */
export function exactly(message: string): RegExp {
  return new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

/** The warnings left on a construct (its 'cdk8s-stateful:warning' metadata), in order. */
export function warningsOf(construct: IConstruct): string[] {
  return construct.node.metadata.filter((m) => m.type === 'cdk8s-stateful:warning').map((m) => String(m.data));
}

/** A Java properties file as the Kafka configs render it: key=value lines, '#' comments. */
export function parseProperties(text: string): { [key: string]: string } {
  const out: { [key: string]: string } = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) { continue; }
    const eq = line.indexOf('=');
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}
