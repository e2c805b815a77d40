import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** moto's S3-compatible server (PyPI `moto[server]`); scripts/ci/backup-drill.sh installs it. */
export const MOTO_SERVER = process.env.MERLAI_MOTO_SERVER ?? 'moto_server';

/** A real S3-compatible server on the loopback interface that checks every request's signature. */
export interface S3Server {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  /** An access key pair of an IAM user allowed `s3:*`. */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The keys under a prefix, with their sizes (a signed ListObjectsV2). */
  list(prefix: string): { key: string; size: number }[];
  /** Stores a small object (a signed PUT). */
  put(key: string, body: string): void;
  stop(): void;
}

/** One request signed with AWS Signature V4 by curl, as the backup scripts sign theirs. */
function signed(service: string, keyPair: string, args: string[]): string {
  return execFileSync(
    'curl',
    [
      '--silent',
      '--show-error',
      '--fail-with-body',
      '--aws-sigv4',
      `aws:amz:us-east-1:${service}`,
      '--user',
      keyPair,
      '-H',
      'x-amz-content-sha256: UNSIGNED-PAYLOAD',
      ...args,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
}

async function waitForPort(port: number, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited: ${readFileSync(log, 'utf8')}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`moto_server did not listen on ${port} within 60 s: ${readFileSync(log, 'utf8')}`);
}

/**
 * Starts moto's server with authentication on: its first 4 requests are let through unsigned
 * (moto's INITIAL_NO_AUTH_ACTION_COUNT), and they create an IAM user, its access key, a policy
 * allowing `s3:*`, and the bucket. Every later request must carry a valid Signature V4 of that key.
 */
export async function startS3(port: number, bucket: string): Promise<S3Server> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'merlai-s3-'));
  const log = path.join(dir, 'moto.log');
  const out = openSync(log, 'a');
  const child = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: '4', MOTO_ALLOW_NONEXISTENT_REGION: 'false' },
    stdio: ['ignore', out, out],
  });
  child.unref();
  await waitForPort(port, child, log);
  const endpoint = `http://127.0.0.1:${port}`;
  const anyKey = 'AKIDBOOTSTRAP:bootstrap';
  const iam = (form: string) =>
    signed('iam', anyKey, ['-X', 'POST', endpoint, '--data', `${form}&Version=2010-05-08`]);
  iam('Action=CreateUser&UserName=merlai-backup');
  const keyXml = iam('Action=CreateAccessKey&UserName=merlai-backup');
  const accessKeyId = /<AccessKeyId>([^<]+)</.exec(keyXml)?.[1];
  const secretAccessKey = /<SecretAccessKey>([^<]+)</.exec(keyXml)?.[1];
  if (!accessKeyId || !secretAccessKey) throw new Error(`no access key in moto's reply: ${keyXml}`);
  const policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
  });
  iam(
    `Action=PutUserPolicy&UserName=merlai-backup&PolicyName=s3&PolicyDocument=${encodeURIComponent(policy)}`,
  );
  signed('s3', anyKey, ['-X', 'PUT', `${endpoint}/${bucket}`]);
  const keyPair = `${accessKeyId}:${secretAccessKey}`;
  return {
    endpoint,
    bucket,
    region: 'us-east-1',
    accessKeyId,
    secretAccessKey,
    list: (prefix) => {
      const xml = signed('s3', keyPair, [
        '--get',
        '--data-urlencode',
        'list-type=2',
        '--data-urlencode',
        `prefix=${prefix}`,
        `${endpoint}/${bucket}/`,
      ]);
      return [...xml.matchAll(/<Key>([^<]*)<\/Key>.*?<Size>(\d+)<\/Size>/g)].map((m) => ({
        key: m[1],
        size: Number(m[2]),
      }));
    },
    put: (key, body) => {
      signed('s3', keyPair, ['-X', 'PUT', '--data-binary', body, `${endpoint}/${bucket}/${key}`]);
    },
    stop: () => {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
