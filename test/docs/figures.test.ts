// Docs that stay true. Every measured figure lives in docs/capacity.md or docs/benchmarks.md;
// any other document may quote one (a number with a unit of time, size, rate or a percentage)
// only as one of those two holds it. Every repository path a document cites must exist, and
// no document cites an issue: none is in the repository for a reader to follow.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';

const root = path.resolve(import.meta.dirname, '..', '..');
const SOURCES = ['docs/capacity.md', 'docs/benchmarks.md'];

function markdownFiles(): string[] {
  const docs = fs.readdirSync(path.join(root, 'docs'), { recursive: true, encoding: 'utf8' });
  return ['README.md', ...docs.filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)].sort();
}

// Prose only: code blocks and inline code hold commands, flags, configuration and output, and
// the README's usage block is the CLI's own text (its defaults are src/fleet/config.ts's).
function prose(text: string): string {
  return text
    .replace(/<!-- usage:start[\s\S]*?<!-- usage:end -->/g, '')
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '');
}

// Bold, thousands separators, non-breaking spaces and a space before the unit do not change a figure.
function normalize(text: string): string {
  return text
    .replace(/\*\*/g, '')
    .replace(/(\d),(\d{3})\b/g, '$1$2')
    .replace(/[\u00a0\u202f]/g, ' ')
    .replace(/(\d) (ms|s|µs|MiB|KiB|GiB|MB|KB|kB|GB|req\/s|%)(?![\w/])/g, '$1$2');
}

const FIGURE = /(?<![\w.\-–])(\d+(?:\.\d+)?(?:[–-]\d+(?:\.\d+)?)?)(ms|µs|s|MiB|KiB|GiB|MB|KB|kB|GB|k? ?req\/s|%)(?![\w/])/g;

/** The figures a document quotes, normalized ("751ms", "99–107MiB", "0.55%"). */
export function figuresOf(text: string): string[] {
  return [...normalize(prose(text)).matchAll(FIGURE)].map((m) => `${m[1]}${m[2]}`);
}

// Numbers with units that are settings or definitions, not measurements: each is written in
// the source named, and the test checks that it still is. Keep this list short.
const SETTINGS: { figure: string; file: string; holds: RegExp; what: string }[] = [
  { figure: '5s', file: 'src/fleet/config.ts', holds: /DEFAULT_RESYNC_MS = 5_000/, what: 'the periodic resync' },
  { figure: '3s', file: 'src/fleet/config.ts', holds: /WORKER_HANG_MS = 3_000/, what: 'a worker silent this long is examined for a hang' },
  { figure: '30s', file: 'src/fleet/control/workers.ts', holds: /HANG_SILENCE_MS = 30_000/, what: 'a worker silent this long is killed; also --replace-after, --request-timeout, --response-timeout' },
  { figure: '250ms', file: 'src/fleet/data/messages.ts', holds: /BEAT_MS = 250;/, what: "the workers' beat" },
  { figure: '1MiB', file: 'src/fleet/config.ts', holds: /DEFAULT_MAX_BODY_SIZE = '1MiB'/, what: '--max-body-size; also the log queue and the members\u2019 tmpfs' },
  { figure: '64KiB', file: 'src/fleet/data/body.ts', holds: /BUFFER_BYTES = 64 \* 1024;/, what: 'a body up to this is read before a member is picked' },
  { figure: '20ms', file: 'src/fleet/config.ts', holds: /RECONCILE_COALESCE_MS = 20;/, what: "the control loop's throttle" },
  { figure: '10s', file: 'src/fleet/config.ts', holds: /DEFAULT_DRAIN_TIMEOUT_MS = 10_000/, what: '--drain-timeout, --header-timeout' },
  { figure: '2s', file: 'src/fleet/config.ts', holds: /DEFAULT_HEALTH_INTERVAL_MS = 2_000/, what: '--health-interval; also the grace before a stopped member is removed (EXIT_GRACE_MS)' },
];

function read(rel: string): string {
  return fs.readFileSync(path.join(root, rel), 'utf8');
}

// GitHub's heading anchors: lower case, punctuation but hyphens dropped, spaces to hyphens.
function anchorsOf(markdown: string): Set<string> {
  const headings = markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} (.+)$/gm);
  return new Set(
    [...headings].map(([, h]) =>
      h
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

t.test('the figure scanner', async (t) => {
  t.same(figuresOf('gone in **751 ms** (old 4.8 s), 99–107 MiB, 0.55× and 12 %'), ['751ms', '4.8s', '99–107MiB', '12%']);
  t.same(figuresOf('`--drain-timeout 10000` and ```\n5 s\n```'), [], 'code is not prose');
  t.same(figuresOf('1,144 requests, 49k req/s'), ['49k req/s'], 'a count without a unit is no figure');
});

t.test('each setting allowed as a figure is still what its source says', async (t) => {
  for (const s of SETTINGS) t.match(read(s.file), s.holds, `${s.figure} (${s.what}) is in ${s.file}`);
});

t.test('every figure a document quotes is one capacity.md or benchmarks.md holds', async (t) => {
  const held = new Set(SOURCES.flatMap((f) => figuresOf(read(f))));
  const allowed = new Set(SETTINGS.map((s) => s.figure));
  for (const file of markdownFiles()) {
    if (SOURCES.includes(file) || file.startsWith('docs/answers/')) continue;
    const stray = [...new Set(figuresOf(read(file)))].filter((f) => !held.has(f) && !allowed.has(f));
    t.same(stray, [], `${file} quotes only held figures`);
  }
});

t.test('every repository path a document cites exists', async (t) => {
  for (const file of markdownFiles()) {
    const text = read(file);
    const dir = path.dirname(path.join(root, file));
    const missing: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^(https?:|mailto:)/.test(target)) continue;
      const [rel, anchor] = target.split('#');
      const linked = rel ? path.resolve(dir, rel) : path.join(root, file);
      if (!fs.existsSync(linked)) missing.push(target);
      else if (anchor && linked.endsWith('.md') && !anchorsOf(fs.readFileSync(linked, 'utf8')).has(anchor)) missing.push(target);
    }
    for (const [, cited] of prose(text.replace(/`((?:src|test|bench|scripts|deploy|images|docs|bin)\/[\w./-]+)`/g, ' PATH:$1 ')).matchAll(/PATH:(\S+)/g)) {
      if (!fs.existsSync(path.join(root, cited.replace(/[.,:;]$/, '')))) missing.push(cited);
    }
    t.same(missing, [], `${file} cites only what the repository holds`);
  }
});

t.test('no document cites an issue', async (t) => {
  for (const file of markdownFiles()) {
    const issues = [...read(file).matchAll(/\bissues? #?\d+/gi)].map((m) => m[0]);
    t.same(issues, [], `${file} cites no issue`);
  }
});
