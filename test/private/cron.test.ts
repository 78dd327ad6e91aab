import { requireCronSchedule, requireTimeZone } from '../../src/private/cron';

describe('cron schedules, checked with the CronJob controller grammar', () => {
  test.each([
    '0 1 * * *', '*/15 * * * *', '0 1 * * 0', '0 1 * * 6', '0 1 * * 1-6', '30 2 1,15 * *', '0 0 1 JAN *', '0 3 * * mon-fri',
    '0 */6 * * *', '5-55/10 * * * *', '@daily', '@hourly', '@weekly', '@every 6h', '@every 1h30m', '  0 1 * * *  ',
  ])('%s is accepted', (schedule) => {
    expect(requireCronSchedule('f', 'schedule', schedule)).toBe(schedule.trim());
  });

  test.each([
    ['0 1 * *', /must be a cron schedule of five fields/],
    ['0 1 * * * *', /must be a cron schedule of five fields/],
    ['60 1 * * *', /its minute field '60' has '60' where it takes 0-59/],
    ['0 24 * * *', /its hour field '24' has '24' where it takes 0-23/],
    ['0 1 0 * *', /its day of month field '0' has '0' where it takes 1-31/],
    ['0 1 * 13 *', /its month field '13' has '13' where it takes 1-12 or JAN-DEC/],
    ['0 1 * * 7', /its day of week field '7' has '7' where it takes 0-6 or SUN-SAT/],
    ['@DAILY', /one of @yearly/],
    ['@every 6 hours', /@every <duration>/],
    ['0 1 * * 5-2', /runs backwards/],
    ['*/0 1 * * *', /step that is not a positive integer/],
    ['0 1 * * ,', /is not a value, a range, a list or a step/],
    ['@fortnightly', /one of @yearly/],
    ['TZ=UTC 0 1 * * *', /use the 'timeZone' prop/],
    ['daily', /five fields/],
  ])('%s is refused', (schedule, message) => {
    expect(() => requireCronSchedule('db', 'backup.schedule', schedule)).toThrow(message);
    expect(() => requireCronSchedule('db', 'backup.schedule', schedule)).toThrow(/^db: 'backup.schedule' /);
  });

  test('a value of the wrong type names the prop', () => {
    expect(() => requireCronSchedule('db', 'schedule', 5)).toThrow("db: 'schedule' must be a string, got 5 (a number)");
  });

  test('time zones: IANA names pass, other shapes do not', () => {
    expect(requireTimeZone('f', 'timeZone', 'Europe/Paris')).toBe('Europe/Paris');
    expect(requireTimeZone('f', 'timeZone', 'UTC')).toBe('UTC');
    expect(requireTimeZone('f', 'timeZone', 'America/Argentina/Buenos_Aires')).toBe('America/Argentina/Buenos_Aires');
    expect(() => requireTimeZone('f', 'timeZone', 'Europe Paris')).toThrow("f: 'timeZone' must be an IANA time zone name");
    expect(() => requireTimeZone('f', 'timeZone', '+02:00')).toThrow('IANA');
  });
});
