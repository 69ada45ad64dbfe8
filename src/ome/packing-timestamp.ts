/**
 * omero-cli-transfer writes `datetime.now().strftime("%d/%m/%Y, %H:%M:%S")`: the packing
 * machine's LOCAL time with no zone. The ISO 8601 form returned here is therefore local time
 * too (no `Z`, no offset), e.g. `2023-12-19T10:02:04`: it orders archives packed on one machine,
 * but cannot be placed on a global time line. Callers keep the raw string beside it.
 */
const PACKING_TIMESTAMP = /^(\d{2})\/(\d{2})\/(\d{4}), (\d{2}):(\d{2}):(\d{2})$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** `19/12/2023, 10:02:04` → `2023-12-19T10:02:04`; undefined for anything else. */
export function packingTimestampToIso(raw: string): string | undefined {
  const m = PACKING_TIMESTAMP.exec(raw.trim());
  if (!m) return undefined;
  const [, dd = '', mm = '', yyyy = '', hh = '', mi = '', ss = ''] = m;
  const [day, month, year, hour, minute, second] = [dd, mm, yyyy, hh, mi, ss].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  return `${yyyy}-${mm}-${dd}T${hh}:${mi}:${ss}`;
}
