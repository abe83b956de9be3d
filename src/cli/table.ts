// Go's text/tabwriter as docker/cli configures it (minwidth 10, tabwidth 1, padding 3,
// padchar ' ', no flags), for rows whose cells are all tab-terminated but the last.

export interface TableOptions {
  minWidth?: number;
  padding?: number;
}

// tabwriter measures cells in runes (UTF-8 code points), not UTF-16 units.
function runeLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdbff) n++;
  }
  return n;
}

/**
 * Lays out `lines` (each a list of cells) the way docker prints its tables: every cell but
 * a line's last is padded to its column's width, max(minWidth, longest cell + padding);
 * the last cell is written as is, so lines carry no trailing spaces.
 */
export function formatTable(lines: readonly (readonly string[])[], options: TableOptions = {}): string {
  const minWidth = options.minWidth ?? 10;
  const padding = options.padding ?? 3;
  // A column block only spans consecutive lines that have a cell in that column.
  const blockWidth = (column: number, from: number): { width: number; to: number } => {
    let width = minWidth;
    let to = from;
    while (to < lines.length && lines[to].length - 1 > column) {
      width = Math.max(width, runeLength(lines[to][column]) + padding);
      to++;
    }
    return { width, to };
  };
  const cellWidths: number[][] = lines.map(() => []);
  const columns = lines.reduce((max, line) => Math.max(max, line.length - 1), 0);
  for (let column = 0; column < columns; column++) {
    let i = 0;
    while (i < lines.length) {
      if (lines[i].length - 1 <= column) {
        i++;
        continue;
      }
      const { width, to } = blockWidth(column, i);
      for (let j = i; j < to; j++) cellWidths[j][column] = width;
      i = to;
    }
  }
  let out = '';
  lines.forEach((line, i) => {
    let text = '';
    line.forEach((cell, column) => {
      if (column === line.length - 1) text += cell;
      else text += cell + ' '.repeat(cellWidths[i][column] - runeLength(cell));
    });
    out += text + '\n';
  });
  return out;
}
