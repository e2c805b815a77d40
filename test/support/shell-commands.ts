import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The external commands a shell script runs, read from its text: the first word of every simple
 * command (after `;`, `|`, `&&`, `||`, `$(`, a keyword or a wrapper such as `timeout 5` or
 * `inns`), plus every name it asks `command -v` about, including `for c in a b; do command -v "$c"`.
 * Heredoc bodies, comments and single-quoted strings are not shell code and are skipped. Names the
 * script defines as functions are returned too; the caller removes the functions of all scripts.
 */
export interface ShellScan {
  commands: Map<string, string[]>; // command -> "file:line" where it is run
  functions: Set<string>;
}

const WRAPPERS = new Set([
  'inns',
  'sudo',
  '$SUDO',
  'exec',
  'env',
  'nohup',
  'setsid',
  'time',
  'command',
  'xargs',
  'then',
  'do',
  'else',
  'elif',
  'if',
  'while',
  'until',
  '!',
  '{',
  '(',
  '((',
  'builtin',
]);

/**
 * Shell code only: heredoc bodies, comments, single-quoted strings, arithmetic and the text of
 * double-quoted strings become blanks (command substitutions inside double quotes are kept, set
 * apart by `;`), and case patterns are dropped. Line numbers are kept.
 */
export function stripNonCode(text: string): string[] {
  const out: string[] = [];
  type Ctx = 'code' | 'dq' | 'sub';
  const stack: { ctx: Ctx; depth: number }[] = [{ ctx: 'code', depth: 0 }];
  let line = '';
  let heredocs: { end: string; tabs: boolean }[] = [];
  let inHeredoc: { end: string; tabs: boolean } | undefined;
  let rawLine = '';
  const top = () => stack[stack.length - 1] as { ctx: Ctx; depth: number };
  const endLine = () => {
    // A case pattern `a | b)` starts the line: not a command.
    out.push(line.replace(/^\s*[\w*.|\s-]+\)(?!\))/, ' '));
    const found = [...rawLine.matchAll(/<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/g)].filter(
      (m) => !rawLine.includes(`<<<${m[2]}${m[3]}`),
    );
    heredocs = found.map((m) => ({ end: m[3] as string, tabs: m[1] === '-' }));
    inHeredoc = heredocs.shift();
    line = '';
    rawLine = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (inHeredoc) {
      const nl = text.indexOf('\n', i);
      const body = text.slice(i, nl < 0 ? text.length : nl);
      out.push('');
      const probe = inHeredoc.tabs ? body.replace(/^\t+/, '') : body;
      if (probe === inHeredoc.end) inHeredoc = heredocs.shift();
      i = nl < 0 ? text.length : nl;
      continue;
    }
    if (ch === '\n') {
      if (top().ctx === 'dq') {
        out.push(line);
        line = '';
        rawLine = '';
      } else endLine();
      continue;
    }
    rawLine += ch;
    const ctx = top().ctx;
    if (ch === '\\') {
      if (ctx !== 'dq') line += text.slice(i, i + 2);
      rawLine += text[i + 1] ?? '';
      i++;
      continue;
    }
    if (text.startsWith('$((', i) || (ctx !== 'dq' && text.startsWith('((', i))) {
      // Arithmetic: skip to the matching `))`.
      let depth = 0;
      let j = text[i] === '$' ? i + 1 : i;
      for (; j < text.length; j++) {
        if (text[j] === '(') depth++;
        else if (text[j] === ')' && --depth === 0) break;
        else if (text[j] === '\n') break;
      }
      rawLine += text.slice(i + 1, j + 1);
      line += ctx === 'dq' ? '' : ' 0 ';
      i = j;
      continue;
    }
    if (ctx === 'dq') {
      if (ch === '"') stack.pop();
      else if (text.startsWith('$(', i)) {
        stack.push({ ctx: 'sub', depth: 0 });
        line += ' ; ';
        i++;
      }
      continue;
    }
    // code or a command substitution
    if (ch === "'") {
      const close = text.indexOf("'", i + 1);
      const quoted = text.slice(i, close < 0 ? text.length : close + 1);
      const newlines = quoted.split('\n').length - 1;
      for (let n = 0; n < newlines; n++) {
        out.push(line);
        line = '';
      }
      line += " '' ";
      rawLine += quoted.slice(1);
      i = close < 0 ? text.length : close;
      continue;
    }
    if (ch === '"') {
      stack.push({ ctx: 'dq', depth: 0 });
      line += ' "" ';
      continue;
    }
    if (ch === '#' && /(^|[\s;|&(])$/.test(line.slice(-1) || ' ')) {
      const nl = text.indexOf('\n', i);
      i = (nl < 0 ? text.length : nl) - 1;
      continue;
    }
    if (ctx === 'sub') {
      const t = top();
      if (ch === '(') t.depth++;
      else if (ch === ')') {
        if (t.depth === 0) {
          stack.pop();
          line += ' ; ';
          continue;
        }
        t.depth--;
      }
    }
    line += ch;
  }
  endLine();
  return out;
}

/** The words that start a command on one line of shell code. */
export function commandWords(line: string): string[] {
  // Array literals (`a=(x y)`) are data.
  const code = line.replace(/\b[A-Za-z_][A-Za-z0-9_]*\+?=\([^)]*\)/g, ' a=1 ');
  const words: string[] = [];
  for (const segment of code.split(/\$\(|`|;|\|\||&&|\||(?<!=)\(\s*|\)|\bthen\b|\bdo\b|\belse\b/)) {
    const tokens = segment.trim().split(/\s+/).filter(Boolean);
    let i = 0;
    while (i < tokens.length) {
      const t = tokens[i] as string;
      if (/^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/.test(t)) {
        i++;
        continue;
      }
      if (WRAPPERS.has(t)) {
        i++;
        continue;
      }
      if (t === 'timeout') {
        i += 2;
        continue;
      }
      if (t === 'nsenter' || t === 'unshare' || t === 'chroot') {
        words.push(t);
        // nsenter ... -- CMD, or chroot DIR CMD
        const dash = tokens.indexOf('--', i);
        if (dash >= 0) i = dash + 1;
        else if (t === 'chroot') i += 2;
        else break;
        continue;
      }
      break;
    }
    const word = tokens[i];
    if (word && /^[a-z][a-z0-9._+-]*$/.test(word)) words.push(word);
  }
  return words;
}

export function scanShell(files: string[], root: string): ShellScan {
  const commands = new Map<string, string[]>();
  const functions = new Set<string>();
  const add = (cmd: string, where: string) => {
    const seen = commands.get(cmd) ?? [];
    seen.push(where);
    commands.set(cmd, seen);
  };
  for (const file of files) {
    const rel = path.relative(root, file);
    const raw = readFileSync(file, 'utf8');
    const lines = stripNonCode(raw);
    const text = lines.join('\n');
    for (const m of text.matchAll(/^\s*(?:function\s+)?([A-Za-z_][A-Za-z0-9_-]*)\s*\(\)/gm))
      functions.add(m[1] as string);
    for (const m of raw.matchAll(
      /\bfor\s+(\w+)\s+in\s+([^;\n]+);\s*do\s*\n?\s*command -v\s+"?\$\{?\1\}?"?/g,
    )) {
      for (const name of (m[2] as string).trim().split(/\s+/))
        if (/^[a-z][a-z0-9._+-]*$/.test(name)) add(name, `${rel} (command -v)`);
    }
    raw.split('\n').forEach((line, n) => {
      if (/^\s*#/.test(line)) return;
      for (const m of line.matchAll(/command -v\s+"?([a-z][a-z0-9._+-]*)"?/g))
        add(m[1] as string, `${rel}:${n + 1}`);
    });
    lines.forEach((line, n) => {
      for (const w of commandWords(line)) add(w, `${rel}:${n + 1}`);
    });
  }
  return { commands, functions };
}

/** Every shell script of the project that CI runs: `.ci/run`, scripts/**.sh, test/**.sh and .bats. */
export function projectShellFiles(root: string): string[] {
  const found: string[] = [path.join(root, '.ci/run')];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (name === 'node_modules') continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(sh|bats)$/.test(name)) found.push(p);
    }
  };
  walk(path.join(root, 'scripts'));
  walk(path.join(root, 'test'));
  return found;
}
