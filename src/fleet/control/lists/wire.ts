// What the daemon and a member's list reader (`fleet-set-members --follow`, in
// images/nginx) say to each other on a long-lived exec session: one list per line out,
// one answer per line back. The reader's side is the shell script; this is the daemon's.

/** The reader's first line: the protocol it speaks. */
export const READY = 'ready 1';

export type Reply =
  | { kind: 'ready' }
  | { kind: 'ack'; generation: number }
  | { kind: 'nak'; generation: number | undefined; reason: string }
  | { kind: 'garbage'; line: string };

/** `<generation> IP…\n`: the reader writes the list, then answers `ack <generation>`. */
export function encodeList(generation: number, ips: readonly string[]): string {
  return ips.length ? `${generation} ${ips.join(' ')}\n` : `${generation}\n`;
}

export function parseReply(line: string): Reply {
  const text = line.trim();
  if (text === READY) return { kind: 'ready' };
  const ack = /^ack (\d+)$/.exec(text);
  if (ack) return { kind: 'ack', generation: Number(ack[1]) };
  const nak = /^nak (\d+|-) (.+)$/.exec(text);
  if (nak) return { kind: 'nak', generation: nak[1] === '-' ? undefined : Number(nak[1]), reason: nak[2] };
  return { kind: 'garbage', line: text.slice(0, 200) };
}
