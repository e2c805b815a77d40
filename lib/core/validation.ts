// The one validation module of the library: what a Kubernetes name, label, port, quantity, image
// reference and CIDR is, as parsers (`parseQuantity`, `parseCidr`), predicates (`isLabelKey`, …) and
// checks that throw a `MerlaiPropError` naming the construct, the prop and the value (`require*`).
// Generates no objects.
import { isIPv4, isIPv6 } from 'node:net';
import type { Duration } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { invalidProp, reportInvalidProp } from './errors';
import { isPinned, parseImage } from './image';

// Names

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Checks a Kubernetes object name (RFC 1123 label, at most 63 characters). */
export function requireDnsLabel(
  scope: IConstruct,
  constructType: string,
  prop: string,
  value: string,
): string {
  if (typeof value !== 'string' || value.length > 63 || !DNS1123_LABEL.test(value)) {
    invalidProp(
      scope,
      constructType,
      prop,
      value,
      'expected a DNS-1123 label: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit',
    );
  }
  return value;
}

/** A DNS-1123 subdomain (host names, Secret and StorageClass names, label-key prefixes). */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Checks a DNS-1123 subdomain (host names, Secret and StorageClass names). */
export function requireDnsSubdomain(
  scope: IConstruct,
  constructType: string,
  prop: string,
  value: string,
): string {
  if (typeof value !== 'string' || value.length > 253 || !DNS1123_SUBDOMAIN.test(value)) {
    invalidProp(
      scope,
      constructType,
      prop,
      value,
      'expected a DNS-1123 subdomain: lowercase letters, digits, "-" and ".", at most 253 characters',
    );
  }
  return value;
}

const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** Checks the key of a Secret (`[-._a-zA-Z0-9]+`). */
export function requireSecretKey(
  scope: IConstruct,
  constructType: string,
  prop: string,
  value: string,
): string {
  if (typeof value !== 'string' || value.length > 253 || !SECRET_KEY.test(value)) {
    invalidProp(
      scope,
      constructType,
      prop,
      value,
      'expected a Secret key: letters, digits, "-", "_" and "."',
    );
  }
  return value;
}

// Labels

const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Why `key` is not a label key (`[prefix/]name`, the prefix a DNS subdomain), or undefined when it is one. */
function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return `label key '${key}' has an invalid prefix (a DNS subdomain is expected)`;
  }
  if (name.length > 63 || !LABEL_NAME.test(name)) {
    return `label key '${key}' is invalid (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`;
  }
  return undefined;
}

/** True when Kubernetes accepts `key` as a label key. */
export function isLabelKey(key: string): boolean {
  return labelKeyProblem(key) === undefined;
}

/** True when Kubernetes accepts `value` as a label value (empty, or at most 63 characters, alphanumeric at both ends). */
export function isLabelValue(value: string): boolean {
  return typeof value === 'string' && value.length <= 63 && (value === '' || LABEL_NAME.test(value));
}

/** Why a label key/value pair is invalid, or undefined when Kubernetes would accept it. */
export function labelProblem(key: string, value: string): string | undefined {
  const keyProblem = labelKeyProblem(key);
  if (keyProblem) return keyProblem;
  if (!isLabelValue(value)) {
    return `label value '${String(value)}' of '${key}' is invalid (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`;
  }
  return undefined;
}

const LABEL_KEY_RULE =
  "an optional DNS-subdomain prefix (at most 253 characters) and '/', then a name of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
const LABEL_VALUE_RULE =
  "a label value: empty, or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";

/**
 * Checks a map of labels (or of `nodeSelector` terms) taken from the user: every key a label key
 * and every value a label value, as Kubernetes checks them at apply time. Undefined passes.
 */
export function requireLabelMap(
  scope: IConstruct,
  constructType: string,
  prop: string,
  labels: { readonly [key: string]: string } | undefined,
): void {
  if (labels === undefined) return;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    invalidProp(scope, constructType, prop, labels, 'expected a map of label keys to label values');
  }
  for (const [key, value] of Object.entries(labels)) {
    if (!isLabelKey(key)) {
      reportInvalidProp(
        scope,
        constructType,
        `${prop}.${key}`,
        value,
        `the key is not a label key: expected ${LABEL_KEY_RULE}`,
      );
    }
    if (!isLabelValue(value)) {
      reportInvalidProp(scope, constructType, `${prop}.${key}`, value, `expected ${LABEL_VALUE_RULE}`);
    }
  }
}

/** Kubernetes' limit on the annotations of one object: keys and values together, in bytes. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/**
 * Checks a map of annotations taken from the user: keys as label keys (Kubernetes compares them
 * lowercased), values any string, at most 256 KiB of keys and values in all. Undefined passes.
 */
export function requireAnnotationMap(
  scope: IConstruct,
  constructType: string,
  prop: string,
  annotations: { readonly [key: string]: string } | undefined,
): void {
  if (annotations === undefined) return;
  if (typeof annotations !== 'object' || annotations === null || Array.isArray(annotations)) {
    invalidProp(scope, constructType, prop, annotations, 'expected a map of annotation keys to strings');
  }
  let bytes = 0;
  for (const [key, value] of Object.entries(annotations)) {
    if (!isLabelKey(key.toLowerCase())) {
      reportInvalidProp(
        scope,
        constructType,
        `${prop}.${key}`,
        value,
        `the key is not an annotation key: expected ${LABEL_KEY_RULE}`,
      );
    }
    if (typeof value !== 'string') {
      reportInvalidProp(
        scope,
        constructType,
        `${prop}.${key}`,
        value,
        'expected a string (annotation values are strings)',
      );
    }
    bytes += Buffer.byteLength(key) + (typeof value === 'string' ? Buffer.byteLength(value) : 0);
  }
  if (bytes > MAX_ANNOTATIONS_BYTES) {
    reportInvalidProp(
      scope,
      constructType,
      prop,
      `${bytes} bytes of keys and values`,
      `expected at most ${MAX_ANNOTATIONS_BYTES} bytes (256 KiB), Kubernetes' limit on one object's annotations`,
    );
  }
}

// Ingress hosts

const WILDCARD_HOST = new RegExp(`^\\*\\.${DNS1123_SUBDOMAIN.source.slice(1)}`);

/**
 * Checks an Ingress rule's host as networking.k8s.io/v1 does: a DNS-1123 subdomain of at most 253
 * characters, optionally `*.` as its whole first label (`*.example.com`), and not an IP address.
 */
export function requireIngressHost(
  scope: IConstruct,
  constructType: string,
  prop: string,
  value: string,
): string {
  const ok =
    typeof value === 'string' &&
    value.length <= 253 &&
    (DNS1123_SUBDOMAIN.test(value) || WILDCARD_HOST.test(value)) &&
    !isIPv4(value);
  if (!ok) {
    const why =
      typeof value === 'string' && isIPv4(value)
        ? 'an Ingress host must be a DNS name, not an IP address'
        : typeof value === 'string' && value.includes('*')
          ? "a wildcard must be the whole first label, as in '*.example.com', and matches one label only"
          : 'expected a DNS-1123 subdomain: lowercase letters, digits, "-" and ".", at most 253 characters';
    reportInvalidProp(
      scope,
      constructType,
      prop,
      value,
      `${why}; Kubernetes accepts a host such as 'merlai.example.com' or '*.example.com'`,
    );
  }
  return value;
}

// Numbers

/** Checks that `value` is an integer within [min, max]. */
export function requireInteger(
  scope: IConstruct,
  constructType: string,
  prop: string,
  value: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
    invalidProp(scope, constructType, prop, value, `expected an integer ${range}`);
  }
  return value;
}

/** Checks an integer count against the level's floor. */
export function requireAtLeast(
  scope: IConstruct,
  constructType: string,
  prop: string,
  value: number,
  floor: number,
  why: string,
): number {
  requireInteger(scope, constructType, prop, value, 1);
  if (value < floor) invalidProp(scope, constructType, prop, value, `expected at least ${floor}: ${why}`);
  return value;
}

/** Checks a TCP or UDP port number. */
export function requirePort(scope: IConstruct, constructType: string, prop: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    invalidProp(scope, constructType, prop, value, 'expected a port number, an integer between 1 and 65535');
  }
  return value;
}

// Quantities

const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY =
  /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?$/;

/**
 * The value of a Kubernetes resource quantity (`250m`, `512Mi`, `1Gi`, `0.5`) in base units
 * (cores or bytes); undefined when the string is not a quantity.
 */
export function parseQuantity(quantity: string): number | undefined {
  if (typeof quantity !== 'string') return undefined;
  const match = QUANTITY.exec(quantity);
  if (!match) return undefined;
  const [, number, suffix = ''] = match;
  const multiplier = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : SUFFIX[suffix];
  return Number(number) * multiplier;
}

/** Checks a positive Kubernetes quantity; returns its value in base units (bytes or cores). */
export function requirePositiveQuantity(
  scope: IConstruct,
  constructType: string,
  prop: string,
  value: string,
  example = "'10Gi'",
): number {
  const parsed = parseQuantity(value);
  if (parsed === undefined || !(parsed > 0)) {
    invalidProp(
      scope,
      constructType,
      prop,
      value,
      `expected a positive Kubernetes quantity such as ${example}`,
    );
  }
  return parsed;
}

// Images

/** Checks that an image reference names exactly one image: an explicit tag other than `latest`, or a digest. */
export function requirePinnedImage(
  scope: IConstruct,
  constructType: string,
  prop: string,
  value: string,
): string {
  const ref = parseImage(value);
  if (!ref || !isPinned(ref)) {
    invalidProp(
      scope,
      constructType,
      prop,
      value,
      "expected a pinned image: an explicit version tag (not 'latest') or a digest, e.g. 'postgres:15.20-bookworm'",
    );
  }
  return value;
}

// Addresses

/** Parses `address/prefix`; undefined unless both parts are valid (IPv4 or IPv6). */
export function parseCidr(cidr: string): { address: string; prefix: number; family: 4 | 6 } | undefined {
  if (typeof cidr !== 'string') return undefined;
  const match = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!match) return undefined;
  const [, address, prefixText] = match;
  const prefix = Number(prefixText);
  if (isIPv4(address) && prefix <= 32) return { address, prefix, family: 4 };
  if (isIPv6(address) && prefix <= 128) return { address, prefix, family: 6 };
  return undefined;
}

/** Checks a CIDR, IPv4 (`10.20.0.0/16`) or IPv6 (`fd00::/64`). */
export function requireCidr(scope: IConstruct, constructType: string, prop: string, value: string): string {
  if (typeof value !== 'string' || parseCidr(value) === undefined) {
    invalidProp(
      scope,
      constructType,
      prop,
      value,
      "expected a CIDR such as '10.20.0.0/16' or 'fd00::/64' (address/prefix length)",
    );
  }
  return value;
}

/** True for an IPv4 address literal. */
export function isIpv4(value: string): boolean {
  return isIPv4(value);
}

// Durations

/** Seconds of a duration, fractions kept (cdk8s' `toSeconds()` throws on them) so a check can name them. */
export function durationSeconds(d: Duration | undefined): number | undefined {
  return d === undefined ? undefined : d.toMilliseconds() / 1000;
}

/** Checks a duration of whole seconds, at least `min`; `fallback` (seconds) when it is undefined. */
export function requireWholeSeconds(
  scope: IConstruct,
  constructType: string,
  prop: string,
  d: Duration | undefined,
  fallback: number,
  min: number,
): number {
  const seconds = durationSeconds(d) ?? fallback;
  if (!Number.isInteger(seconds) || seconds < min) {
    invalidProp(
      scope,
      constructType,
      prop,
      `${seconds}s`,
      `expected a whole number of seconds, at least ${min}`,
    );
  }
  return seconds;
}

// Schedules

const CRON_MACRO = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/;
const CRON_FIELD = /^[0-9A-Za-z*?,/-]+$/;

/** Checks a CronJob schedule: five fields (minute hour day-of-month month day-of-week) or a macro. */
export function requireCronSchedule(
  scope: IConstruct,
  constructType: string,
  prop: string,
  value: string,
): string {
  const fields = typeof value === 'string' ? value.trim().split(/\s+/) : [];
  const valid = CRON_MACRO.test(value) || (fields.length === 5 && fields.every((f) => CRON_FIELD.test(f)));
  if (!valid) {
    invalidProp(
      scope,
      constructType,
      prop,
      value,
      "expected a 5-field cron expression (minute hour day-of-month month day-of-week), e.g. '0 3 * * *', or a macro such as '@daily'",
    );
  }
  return value;
}
