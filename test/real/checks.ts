/** Checks shared by the pod-spec test and the Level 1 stack test. */
import type { Obj } from './pod';

const GENERATE = {
  melody: [
    { pitch: 60, velocity: 90, duration: 0.5, start_time: 0 },
    { pitch: 64, velocity: 90, duration: 0.5, start_time: 0.5 },
    { pitch: 67, velocity: 90, duration: 1, start_time: 1 },
  ],
  style: 'jazz "swing"',
  tempo: 120,
  key: 'C',
};

/** Requests every kind of line the API logs: start page, probes, a 404, a generation. */
export async function requests(base: string): Promise<string[]> {
  const problems: string[] = [];
  const expect = async (what: string, p: Promise<Response>, status: number) => {
    try {
      const r = await p;
      await r.arrayBuffer();
      if (r.status !== status) problems.push(`${what}: HTTP ${r.status}, expected ${status}`);
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message}`);
    }
  };
  const timeout = { signal: AbortSignal.timeout(30_000) };
  await expect('GET /', fetch(`${base}/`, timeout), 200);
  await expect('GET /health', fetch(`${base}/health`, timeout), 200);
  await expect('GET /ready', fetch(`${base}/ready`, timeout), 200);
  await expect('GET /no-such-path', fetch(`${base}/no-such-path`, timeout), 404);
  await expect(
    'POST /api/v1/generate',
    fetch(`${base}/api/v1/generate`, {
      ...timeout,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(GENERATE),
    }),
    200,
  );
  return problems;
}

/** Every log line one JSON object with the guide's fields; start-up and access lines present. */
export function checkLogs(lines: string[]): string[] {
  const problems: string[] = [];
  const messages: string[] = [];
  for (const line of lines) {
    let entry: Obj;
    try {
      entry = JSON.parse(line);
    } catch {
      problems.push(`not a JSON object: ${line}`);
      continue;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`not a JSON object: ${line}`);
      continue;
    }
    for (const field of ['timestamp', 'level', 'message']) {
      if (typeof entry[field] !== 'string') problems.push(`no string '${field}' in: ${line}`);
    }
    messages.push(String(entry.message));
  }
  const want: [string, RegExp][] = [
    ['the app start-up line', /Starting Merlai music generation service/],
    ["uvicorn's start-up line", /Application startup complete/],
    ['an access line for GET /health', /"GET \/health HTTP\/1\.1" 200/],
    ['an access line for POST /api/v1/generate', /"POST \/api\/v1\/generate HTTP\/1\.1" 200/],
  ];
  for (const [what, re] of want) {
    if (!messages.some((m) => re.test(m))) problems.push(`no log line with ${what} (${re})`);
  }
  return problems;
}
