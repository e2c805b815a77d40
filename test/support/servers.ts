import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** PostgreSQL 15 binaries of Debian's `postgresql-15` package. */
export const PG_BIN = process.env.MERLAI_PG_BIN ?? '/usr/lib/postgresql/15/bin';
/** Debian's `redis-server`. */
export const REDIS_SERVER = process.env.MERLAI_REDIS_SERVER ?? '/usr/bin/redis-server';

/** A TCP port free on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway PostgreSQL cluster on a loopback port, owned by a non-root user. */
export interface PostgresServer {
  readonly port: number;
  /** Runs SQL as the superuser over the Unix socket; returns unaligned, tuples-only output. */
  sql(database: string, sql: string): string;
  /** A `postgresql://` URI that authenticates with a password over TCP, as the chart's Secrets do. */
  uri(user: string, password: string, database: string): string;
  stop(): void;
}

/**
 * Starts PostgreSQL in a temporary directory: `initdb`, then `pg_ctl start` on 127.0.0.1; without
 * `durable`, with fsync and full-page writes off (faster, for tests whose timings do not matter).
 * PostgreSQL refuses to run as root, so under root (CI containers) the server runs as `postgres`.
 */
export function startPostgres(port: number, settings: { durable?: boolean } = {}): PostgresServer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'merlai-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, uid, gid);
  }
  const run = (binary: string, args: string[]): string => {
    const [command, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', path.join(PG_BIN, binary), ...args]]
      : [path.join(PG_BIN, binary), args];
    return execFileSync(command, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };
  const data = path.join(dir, 'data');
  run('initdb', [
    '--pgdata',
    data,
    '--username=postgres',
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--encoding=UTF8',
    '--no-locale',
    '--no-sync',
  ]);
  // Durable (fsync, full-page writes) when timings matter, as the restore drill's figures do.
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}${settings.durable ? '' : ' -c fsync=off -c full_page_writes=off'}`;
  try {
    run('pg_ctl', [
      '--pgdata',
      data,
      '--log',
      path.join(dir, 'server.log'),
      '--wait',
      '--options',
      options,
      'start',
    ]);
  } catch (error) {
    const log = existsSync(path.join(dir, 'server.log'))
      ? readFileSync(path.join(dir, 'server.log'), 'utf8')
      : '';
    throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${log}`);
  }
  return {
    port,
    sql: (database, sql) =>
      run('psql', [
        '-h',
        dir,
        '-p',
        String(port),
        '-U',
        'postgres',
        '-d',
        database,
        '-X',
        '-q',
        '-At',
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        sql,
      ]).trim(),
    uri: (user, password, database) =>
      `postgresql://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: () => {
      try {
        run('pg_ctl', ['--pgdata', data, '--mode=immediate', '--wait', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

type Reply = string | number | null | Error | Reply[];

/** Parses one RESP reply at `offset`; undefined when the buffer holds only part of it. */
function parseReply(buf: Buffer, offset: number): [Reply, number] | undefined {
  const end = buf.indexOf('\r\n', offset);
  if (end < 0) return undefined;
  const line = buf.toString('utf8', offset + 1, end);
  const next = end + 2;
  switch (String.fromCharCode(buf[offset])) {
    case '+':
      return [line, next];
    case '-':
      return [new Error(line), next];
    case ':':
      return [Number(line), next];
    case '$': {
      const length = Number(line);
      if (length < 0) return [null, next];
      if (buf.length < next + length + 2) return undefined;
      return [buf.toString('utf8', next, next + length), next + length + 2];
    }
    case '*': {
      const count = Number(line);
      const items: Reply[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const parsed = parseReply(buf, at);
        if (!parsed) return undefined;
        items.push(parsed[0]);
        at = parsed[1];
      }
      return [items, at];
    }
    default:
      throw new Error(`unexpected RESP reply: ${line}`);
  }
}

/** Encodes a command as RESP; Buffer arguments are written as they are, without copying. */
function encode(args: Array<string | Buffer>): Buffer[] {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const bytes = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF);
  }
  return parts;
}
const CRLF = Buffer.from('\r\n');

/** A minimal Redis client speaking RESP over TCP, enough to configure-check and fill a server. */
export class RedisClient {
  public static async connect(port: number): Promise<RedisClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RedisClient(socket);
  }

  private buffer = Buffer.alloc(0);
  private readonly waiting: Array<(reply: Reply) => void> = [];
  private closed?: Error;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      let offset = 0;
      for (;;) {
        const parsed = parseReply(this.buffer, offset);
        if (!parsed) break;
        offset = parsed[1];
        this.waiting.shift()?.(parsed[0]);
      }
      this.buffer = this.buffer.subarray(offset);
    });
    // A closed connection answers every pending command with an error instead of leaving it hanging.
    socket.on('close', () => {
      this.closed = new Error('connection closed by the server');
      for (const resolve of this.waiting.splice(0)) resolve(this.closed);
    });
  }

  /** Sends commands in one write and resolves with their replies, in order. */
  public async pipeline(commands: Array<Array<string | Buffer>>): Promise<Reply[]> {
    if (this.closed) return commands.map(() => this.closed as Error);
    const replies = commands.map(() => new Promise<Reply>((resolve) => this.waiting.push(resolve)));
    this.socket.cork();
    for (const command of commands) for (const part of encode(command)) this.socket.write(part);
    this.socket.uncork();
    return Promise.all(replies);
  }

  public async command(...args: string[]): Promise<Reply> {
    return (await this.pipeline([args]))[0];
  }

  public close(): void {
    this.socket.destroy();
  }
}

/** A `redis-server` child process. */
export interface RedisServer {
  readonly port: number;
  readonly process: ChildProcess;
  /** Everything the server printed. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts a Redis server process (`argv`: the program and its arguments) in working directory `cwd`
 * with environment `env`; waits until it answers on `port`.
 */
export async function startRedis(
  argv: string[],
  port: number,
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RedisServer> {
  const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}:\n${output}`);
    try {
      const client = await RedisClient.connect(port);
      client.close();
      break;
    } catch (error) {
      if (attempt > 100) throw new Error(`redis-server did not listen on ${port}: ${error}\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
