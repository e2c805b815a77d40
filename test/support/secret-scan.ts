import type { KubeObject } from './synth';

/**
 * A scan for credentials written into manifests: Secret values, credential-named fields and
 * environment variables with literal values, credential-like strings anywhere (URLs with a
 * password, private keys, well-known token formats, `password=` in configuration text), and
 * ConfigMap keys named like credentials (a ConfigMap is readable by anyone who can read the
 * namespace's configuration, and ends up in logs and diffs).
 *
 * References are not findings: `secretKeyRef`, `secretName`, `existingPasswordSecret: {name}`,
 * and `$(VAR)` / `${VAR}` placeholders that the container resolves at run time.
 */

export interface SecretFinding {
  /** `Kind/name` of the object. */
  readonly object: string;
  /** JSON path of the value, e.g. `spec.template.spec.containers[0].env[2].value`. */
  readonly path: string;
  readonly reason: string;
}

/** A word that names a credential, at the end of a key (`password`, `DB_PASSWORD`, `apiToken`). */
const CREDENTIAL_KEY =
  /(pass(word|wd|phrase)?|pwd|secret|token|api[-_.]?key|access[-_.]?key|secret[-_.]?key|private[-_.]?key|credentials?|auth)$/i;
/** A key that names where a credential is, not the credential (`SECRET_NAME`, `tokenPath`, `passwordRef`). */
const REFERENCE_KEY = /(name|ref|file|path|key[-_.]?ref|secret[-_.]?ref|mode|type|enabled)$/i;
/** Anywhere in a ConfigMap key: it names a credential. */
const CREDENTIAL_WORD =
  /pass(word|wd|phrase)?|pwd|secret|token|api[-_.]?key|access[-_.]?key|private[-_.]?key|credential|auth/i;

const PLACEHOLDER = /^(\$\([A-Za-z_][A-Za-z0-9_]*\)|\$\{[A-Za-z_][A-Za-z0-9_]*\})$/;

interface ValuePattern {
  readonly reason: string;
  readonly test: (s: string) => boolean;
}

const VALUE_PATTERNS: readonly ValuePattern[] = [
  {
    reason: 'URL with a password in it',
    test: (s) =>
      [...s.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:([^\s/@]+)@/gi)].some((m) => !PLACEHOLDER.test(m[1])),
  },
  { reason: 'private key', test: (s) => /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(s) },
  { reason: 'AWS access key id', test: (s) => /\b(AKIA|ASIA)[0-9A-Z]{16}\b/.test(s) },
  {
    reason: 'JSON web token',
    test: (s) => /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/.test(s),
  },
  {
    reason: 'GitHub or Slack token',
    test: (s) => /\b(gh[pousr]_[A-Za-z0-9]{20,}|xox[abpr]-[A-Za-z0-9-]{10,})\b/.test(s),
  },
  {
    reason: 'credential assignment in configuration text',
    test: (s) =>
      [
        ...s.matchAll(
          /(?:^|[\s;,{"'])(?:password|passwd|pwd|secret|api[_-]?key|token)\s*[:=]\s*["']?([^\s"',;}]+)/gim,
        ),
        ...s.matchAll(/^\s*(?:requirepass|masterauth)\s+["']?([^\s"']+)/gim),
      ].some((m) => !PLACEHOLDER.test(m[1]) && !/^(null|none|~)$/i.test(m[1])),
  },
];

/** Every credential-like literal in the objects. */
export function scanForSecrets(objects: readonly KubeObject[]): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const o of objects) {
    const object = `${o.kind}/${o.metadata?.name}`;
    const add = (path: string, reason: string) => findings.push({ object, path, reason });
    if (o.kind === 'Secret') {
      for (const field of ['data', 'stringData']) {
        for (const key of Object.keys(o[field] ?? {})) add(`${field}.${key}`, 'value in a Secret manifest');
      }
    }
    if (o.kind === 'ConfigMap') {
      for (const field of ['data', 'binaryData']) {
        for (const key of Object.keys(o[field] ?? {})) {
          if (CREDENTIAL_WORD.test(key) && !REFERENCE_KEY.test(key))
            add(`${field}.${key}`, 'ConfigMap key named like a credential');
        }
      }
    }
    walk(o, '', (path, key, value, parent) => {
      if (o.kind === 'Secret' && /^(data|stringData)\./.test(path)) return;
      if (typeof value !== 'string' || value === '') return;
      if (
        key === 'value' &&
        typeof parent?.name === 'string' &&
        isCredentialKey(parent.name) &&
        !PLACEHOLDER.test(value)
      ) {
        add(path, `environment variable ${parent.name} with a literal value`);
        return;
      }
      if (isCredentialKey(key) && !PLACEHOLDER.test(value)) {
        add(path, `field '${key}' with a literal value`);
        return;
      }
      const hit = VALUE_PATTERNS.find((p) => p.test(value));
      if (hit) add(path, hit.reason);
    });
  }
  return findings;
}

function isCredentialKey(key: string): boolean {
  return CREDENTIAL_KEY.test(key) && !REFERENCE_KEY.test(key);
}

function walk(
  value: unknown,
  path: string,
  visit: (path: string, key: string, value: unknown, parent: any) => void,
  key = '',
  parent: any = undefined,
): void {
  visit(path, key, value, parent);
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      walk(v, `${path}[${i}]`, visit, key, value);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k, visit, k, value);
  }
}
