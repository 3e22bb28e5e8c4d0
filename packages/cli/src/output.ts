/** Rows as aligned columns under a header, for people; `--json` output is for scripts. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function printTable(header: string[], rows: string[][]): void {
  process.stdout.write(`${formatTable(header, rows)}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A status line for people, on stderr, so stdout stays what a script reads. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}
