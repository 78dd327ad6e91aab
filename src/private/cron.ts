import { IConstruct } from 'constructs';
import { invalid } from './errors';
import { requireString } from './guards';

/*
 * Schedules are checked at synth with the grammar the API server validates CronJobs with (robfig/cron
 * v3's standard parser): five fields, or one of the @ macros (case-sensitive), or `@every <duration>`.
 * The API server would refuse the others too, but at apply, far from the prop that caused it.
 */

const MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

interface Field { readonly name: string; readonly min: number; readonly max: number; readonly names?: readonly string[] }
const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  // robfig/cron takes 0-6 only: 7 for Sunday is refused.
  { name: 'day of week', min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

const VALID = "must be a cron schedule of five fields (minute hour day-of-month month day-of-week, e.g. '0 1 * * *') or one of "
  + `${MACROS.join(', ')} or @every <duration> (such as @every 6h)`;
/** Go's time.ParseDuration, as `@every` takes it: `90m`, `1h30m`, `1.5h`. */
const EVERY = /^@every ([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

/** Returns the schedule if the CronJob controller can parse it, or throws naming the field that is wrong. */
export function requireCronSchedule(scope: IConstruct | string, prop: string, value: unknown): string {
  const schedule = requireString(scope, prop, value).trim();
  if (schedule.startsWith('@')) {
    if (!MACROS.includes(schedule) && !EVERY.test(schedule)) { invalid(scope, prop, VALID, value); }
    return schedule;
  }
  if (/^(CRON_)?TZ=/.test(schedule)) {
    invalid(scope, prop, `${VALID}; Kubernetes refuses a time zone inside the schedule: use the 'timeZone' prop`, value);
  }
  const fields = schedule.split(/\s+/);
  if (fields.length !== 5) { invalid(scope, prop, VALID, value); }
  fields.forEach((text, i) => {
    const problem = fieldProblem(text, FIELDS[i]);
    if (problem) { invalid(scope, prop, `${VALID}: its ${FIELDS[i].name} field '${text}' ${problem}`, value); }
  });
  return schedule;
}

function fieldProblem(text: string, field: Field): string | undefined {
  for (const part of text.split(',')) {
    const [range, step, extra] = part.split('/');
    if (extra !== undefined || range === '') { return 'is not a value, a range, a list or a step'; }
    if (step !== undefined && !/^[1-9][0-9]*$/.test(step)) { return `has a step that is not a positive integer ('${step}')`; }
    if (range === '*' || range === '?') { continue; }
    const ends = range.split('-');
    if (ends.length > 2) { return `is not a value, a range, a list or a step ('${part}')`; }
    const values = ends.map((end) => valueOf(end, field));
    const bad = ends.find((_, j) => values[j] === undefined);
    if (bad !== undefined) {
      const names = field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : '';
      return `has '${bad}' where it takes ${field.min}-${field.max}${names}`;
    }
    if (values.length === 2 && values[0]! > values[1]!) { return `has a range that runs backwards ('${range}')`; }
  }
  return undefined;
}

function valueOf(text: string, field: Field): number | undefined {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) { return field.min + named; }
  if (!/^[0-9]+$/.test(text)) { return undefined; }
  const n = Number(text);
  return n >= field.min && n <= field.max ? n : undefined;
}

/**
 * An IANA time zone name for a CronJob's `timeZone` (`UTC`, `Europe/Paris`). Whether the name exists
 * is known only to the cluster's time zone database; the shape is checked here.
 */
export function requireTimeZone(scope: IConstruct | string, prop: string, value: unknown): string {
  const zone = requireString(scope, prop, value);
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone) || zone.length > 64) {
    invalid(scope, prop, "must be an IANA time zone name such as 'UTC' or 'Europe/Paris'", value);
  }
  return zone;
}

/** A CronJob's `schedule` (or its default) and `timeZone` props, checked under `prefix` ('' for a construct's own). */
export function resolveSchedule(
  scope: IConstruct, prefix: string, schedule: unknown, timeZone: unknown, defaultSchedule: string,
): { schedule: string; timeZone?: string } {
  const prop = (name: string) => (prefix ? `${prefix}.${name}` : name);
  return {
    schedule: requireCronSchedule(scope, prop('schedule'), schedule ?? defaultSchedule),
    timeZone: timeZone === undefined ? undefined : requireTimeZone(scope, prop('timeZone'), timeZone),
  };
}
