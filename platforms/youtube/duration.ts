/**
 * YouTube sends durations as ISO 8601 (contentDetails.duration): "PT3M33S", "PT1H2M3S",
 * "P1DT2H" for very long streams, "P0D" for live and upcoming broadcasts.
 */
const ISO_DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Whole seconds, or null for anything that is not a duration we understand (years and months are never sent). */
export function parseIsoDuration(text: string): number | null {
  const match = ISO_DURATION.exec(text);
  // "P" and "PT" alone match the pattern but carry no value.
  if (!match || text === 'P' || text.endsWith('T')) return null;
  const [weeks, days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  return Math.round(((weeks * 7 + days) * 24 + hours) * 3600 + minutes * 60 + seconds);
}
