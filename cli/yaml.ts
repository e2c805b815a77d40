import { writeFileSync } from 'node:fs';
import { Yaml } from 'cdk8s';
import YAML from 'yaml';

/**
 * A YAML writer for the synth path that gives byte for byte what cdk8s' `Yaml.stringify` gives
 * (the `yaml` package with `keepUndefined`, `lineWidth: 0` and YAML 1.1), about ten times faster:
 * it writes the block maps and sequences Kubernetes objects are made of directly, instead of
 * building a `yaml` document tree for each object. Whatever it is not sure to write the same way
 * (a string with control characters, a multi-line key, an object that appears twice and would
 * become an alias, a float in exponent form, ...) makes it hand that whole document to `yaml`.
 * test/cli-yaml.test.ts compares both on every synthesized document and on a corpus of hard strings.
 */

const OPTIONS = { keepUndefined: true, lineWidth: 0, version: '1.1' } as const;

// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters `yaml` double-quotes
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;
/** `yaml`'s own test (stringifyString.js, plainString) for a string it cannot write plain. */
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
/** Strings `yaml` surely writes plain, tested first because it is the common case. */
const SURELY_PLAIN = /^[A-Za-z][A-Za-z0-9._/-]*$/;

let otherTypes: RegExp[] | undefined;
/** Whether YAML 1.1 reads the plain string as something else (null, a boolean, a number, a date, `<<`). */
function readsAsOtherType(value: string): boolean {
  // The very tests `yaml` makes (its YAML 1.1 schema's default tags), not a copy of them.
  otherTypes ??= new YAML.Document(null, { version: '1.1' }).schema.tags.flatMap((tag) => {
    const test = (tag as { test?: RegExp }).test;
    return tag.default && tag.tag !== 'tag:yaml.org,2002:str' && test ? [test] : [];
  });
  return otherTypes.some((test) => test.test(value));
}

/** Thrown inside the writer when a document must be written by `yaml` instead. */
class Unsure extends Error {}

/** One-line strings as written, plain or quoted (names and labels repeat in every object). */
const scalarCache = new Map<string, string>();

/** How many documents were handed to `yaml` (the tests check the shipped charts need none). */
export const yamlFallbacks = { count: 0 };

function isPlain(value: string): boolean {
  return (
    value.length <= 1000 &&
    !CONTROL.test(value) &&
    !NOT_PLAIN.test(value) &&
    !DOCUMENT_MARKER.test(value) &&
    !readsAsOtherType(value)
  );
}

/** A one-line string as `yaml` itself writes it, as the value of a one-key map. */
function viaYaml(value: string): string {
  if (CONTROL.test(value) || DOCUMENT_MARKER.test(value) || value.length > 1000) throw new Unsure();
  const text = YAML.stringify({ k: value }, OPTIONS).slice(3, -1);
  if (text.includes('\n')) throw new Unsure();
  return text;
}

/** A one-line string as `yaml` writes it in a block map or sequence (plain, or quoted). */
function oneLine(value: string): string {
  let text = scalarCache.get(value);
  if (text !== undefined) return text;
  if (SURELY_PLAIN.test(value) ? !readsAsOtherType(value) : isPlain(value)) {
    text = value;
  } else if (
    value.length <= 1000 &&
    !CONTROL.test(value) &&
    !DOCUMENT_MARKER.test(value) &&
    !/[\\\t]/.test(value)
  ) {
    // `yaml`'s quotedString: double quotes (JSON's, with nothing to escape here), or single quotes
    // when the string has double quotes and no single one.
    if (!value.includes('"')) text = `"${value}"`;
    else if (!value.includes("'")) text = `'${value}'`;
    else text = viaYaml(value);
  } else {
    text = viaYaml(value);
  }
  scalarCache.set(value, text);
  return text;
}

/**
 * A multi-line string as `yaml` writes it (stringifyString.js, blockString, with `lineWidth: 0`):
 * a literal block, clipped (`|`, one final newline) or stripped (`|-`, none).
 */
function block(value: string, indent: string): string {
  const cacheKey = `${indent.length}\0${value}`;
  let text = blockCache.get(cacheKey);
  if (text === undefined) {
    text = writeBlock(value, indent);
    blockCache.set(cacheKey, text);
  }
  return text;
}

const blockCache = new Map<string, string>();

function writeBlock(value: string, indent: string): string {
  // Double-quoted, or a block with an indentation indicator, a kept end or document markers.
  if (CONTROL.test(value) || DOCUMENT_MARKER.test(value) || /^[ \n]/.test(value)) throw new Unsure();
  // The whitespace the value ends with (scanned, not matched: a regex would be quadratic here).
  let start = value.length;
  while (start > 0 && ' \t\n'.includes(value.charAt(start - 1))) start--;
  const end = value.slice(start);
  if (/\n[\t ]+$/.test(end)) throw new Unsure();
  const newline = end.indexOf('\n');
  if (newline !== -1 && (end === value || newline !== end.length - 1)) throw new Unsure(); // `|+`
  const clip = newline !== -1;
  const body = clip ? value.slice(0, -1) : value;
  return `|${clip ? '' : '-'}\n${indent}${body.replace(/\n+/g, `$&${indent}`)}`;
}

function scalar(value: unknown, indent: string): string {
  switch (typeof value) {
    case 'string':
      return value.includes('\n') ? block(value, indent) : oneLine(value);
    case 'number':
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) return String(value);
      if (/^-?\d+\.\d+$/.test(String(value))) return String(value);
      throw new Unsure();
    case 'boolean':
      return String(value);
    default:
      if (value === null) return 'null';
      throw new Unsure();
  }
}

function key(name: string): string {
  // `yaml` writes a multi-line key, or one longer than 1024 characters, as an explicit `? ` key.
  if (name.includes('\n') || name.length > 1000) throw new Unsure();
  return oneLine(name);
}

class Writer {
  private readonly seen = new Set<object>();
  readonly out: string[] = [];

  private enter(value: object): void {
    if (this.seen.has(value)) throw new Unsure(); // `yaml` would write an anchor and an alias
    this.seen.add(value);
    if (Object.getPrototypeOf(value) !== Object.prototype && !Array.isArray(value)) throw new Unsure();
  }

  /** Writes a map's entries, each line starting with `indent` (the first one's already written by the caller when `first` is set). */
  map(value: Record<string, unknown>, indent: string, first: boolean): void {
    let lead = first;
    for (const [name, child] of Object.entries(value)) {
      if (!lead) this.out.push(indent);
      lead = false;
      this.out.push(key(name), ':');
      this.value(child, `${indent}  `, true);
    }
  }

  /** Writes a sequence's items, each `- ` at `indent`. */
  seq(value: unknown[], indent: string): void {
    for (const item of value) {
      this.out.push(indent, '-');
      if (Array.isArray(item)) throw new Unsure(); // a sequence in a sequence: `yaml`'s `- - ` layout
      this.value(item, `${indent}  `, false);
    }
  }

  /** Writes a value after `key:` (inMap) or `-`, then the end of its line(s). */
  value(value: unknown, indent: string, inMap: boolean): void {
    if (typeof value === 'object' && value !== null) {
      this.enter(value);
      if (Array.isArray(value)) {
        if (value.length === 0) {
          this.out.push(' []\n');
          return;
        }
        if (!inMap) throw new Unsure();
        this.out.push('\n');
        this.seq(value, indent);
        return;
      }
      const record = value as Record<string, unknown>;
      if (Object.keys(record).length === 0) {
        this.out.push(' {}\n');
        return;
      }
      if (inMap) {
        this.out.push('\n', indent);
        this.map(record, indent, true);
      } else {
        this.out.push(' ');
        this.map(record, indent, true);
      }
      return;
    }
    this.out.push(' ', scalar(value, indent), '\n');
  }
}

/** One document as `YAML.stringify(document, { keepUndefined: true, lineWidth: 0, version: '1.1' })`. */
export function stringifyDocument(document: unknown): string {
  if (document === undefined) return '\n';
  if (typeof document === 'object' && document !== null && !Array.isArray(document)) {
    const record = document as Record<string, unknown>;
    if (Object.keys(record).length > 0 && Object.getPrototypeOf(record) === Object.prototype) {
      try {
        const writer = new Writer();
        writer.map(record, '', true);
        return writer.out.join('');
      } catch (error) {
        if (!(error instanceof Unsure)) throw error;
      }
    }
  }
  yamlFallbacks.count++;
  return YAML.stringify(document, OPTIONS);
}

/** Documents as cdk8s' `Yaml.stringify(...documents)`. */
export function stringifyDocuments(...documents: unknown[]): string {
  return documents.map(stringifyDocument).join('---\n');
}

/**
 * Runs `synth` with cdk8s' `Yaml.save` writing through {@link stringifyDocuments}, and puts the
 * original back afterwards (a failed synth included).
 */
export function withFastYaml<T>(synth: () => T): T {
  const save = Yaml.save;
  Yaml.save = (filePath: string, documents: unknown[]) => {
    writeFileSync(filePath, stringifyDocuments(...documents), { encoding: 'utf8' });
  };
  try {
    return synth();
  } finally {
    Yaml.save = save;
  }
}
