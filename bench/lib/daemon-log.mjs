// The fleet daemon's text log lines, parsed: `<ISO time> <LEVEL> <event> key=value ...`.

/** { ts (ms since the epoch), level, event, fields } of one line, or undefined. */
export function parseLogLine(line) {
  const m = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) ([A-Z]+) (\S+)(.*)$/.exec(line.trim());
  if (!m) return undefined;
  const fields = {};
  for (const f of m[4].matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const raw = f[2];
    fields[f[1]] = raw.startsWith('"') ? raw.slice(1, -1) : raw;
  }
  return { ts: Date.parse(m[1]), level: m[2], event: m[3], fields };
}
