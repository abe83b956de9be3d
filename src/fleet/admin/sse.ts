// Server-Sent Events as the admin feed writes them (WHATWG HTML, "server-sent events").

/** Sent first on every stream: a client that loses it reconnects after a second. */
export const SSE_PREAMBLE = 'retry: 1000\n\n';

/** One event: its name and its data as JSON, one `data:` line per line of it. */
export function sseMessage(event: string, data: unknown): string {
  const lines = JSON.stringify(data).split(/\r\n|\r|\n/);
  return `event: ${event.replace(/[\r\n]/g, '')}\n${lines.map((line) => `data: ${line}\n`).join('')}\n`;
}
