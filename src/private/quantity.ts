import { Size, SizeRoundingBehavior } from 'cdk8s';

const UNITS: Array<[string, (s: Size) => number]> = [
  ['Pi', (s) => s.toPebibytes({ rounding: SizeRoundingBehavior.NONE })],
  ['Ti', (s) => s.toTebibytes({ rounding: SizeRoundingBehavior.NONE })],
  ['Gi', (s) => s.toGibibytes({ rounding: SizeRoundingBehavior.NONE })],
  ['Mi', (s) => s.toMebibytes({ rounding: SizeRoundingBehavior.NONE })],
  ['Ki', (s) => s.toKibibytes({ rounding: SizeRoundingBehavior.NONE })],
];

/** The Kubernetes quantity of a size, in the largest binary unit that holds it exactly ("50Gi", "1536Mi"). */
export function quantityOf(size: Size): string {
  for (const [suffix, convert] of UNITS) {
    const n = convert(size);
    if (Number.isInteger(n) && n >= 1) { return `${n}${suffix}`; }
  }
  return `${size.toKibibytes({ rounding: SizeRoundingBehavior.NONE })}Ki`;
}

/** Whole mebibytes in a size, rounded down. */
export function mebibytesOf(size: Size): number {
  return Math.floor(size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) / 1024);
}
