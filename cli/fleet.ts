import os from 'node:os';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { buildAppsFromConfig, synthAll } from './app';
import { ConfigError, type MerlaiConfig } from './config';

/**
 * A configuration's environments are independent (one App each, see `Apps` in app.ts), so a fleet
 * of them is written by several threads: this one and worker threads, each taking a contiguous
 * slice of the environments and writing its files into the same folder. A worker loads the code
 * afresh (a few hundred milliseconds), so only a fleet gets workers.
 */
const MIN_ENVIRONMENTS_PER_THREAD = 16;

/** One thread's share: the environments it writes, and where. */
export interface FleetJob {
  readonly outdir: string;
  readonly config: MerlaiConfig;
  readonly file?: string | undefined;
}

/** What a worker reports when it fails (an Error does not cross threads with its class). */
interface Failure {
  readonly message: string;
  readonly file?: string;
  readonly problems?: readonly string[];
}

/**
 * How many threads write `environments` environments: one per core (MERLAI_SYNTH_THREADS sets
 * another ceiling, 1 for none), at least 16 environments each.
 */
export function fleetThreads(environments: number): number {
  const asked = Number(process.env.MERLAI_SYNTH_THREADS);
  const ceiling = Number.isInteger(asked) && asked > 0 ? asked : os.availableParallelism();
  return Math.max(1, Math.min(ceiling, Math.floor(environments / MIN_ENVIRONMENTS_PER_THREAD)));
}

/** Writes every environment of `config` into `outdir`: a fleet's slices in parallel threads. */
export function synthConfig(outdir: string, config: MerlaiConfig, file?: string): void {
  const ids = Object.keys(config.environments);
  // A worker requires this file: compiled JavaScript (the synth bundle, build/cli/); TypeScript
  // run through a loader (tests, esbuild-register) writes in this thread.
  const threads = __filename.endsWith('.js') ? fleetThreads(ids.length) : 1;
  const size = Math.ceil(ids.length / threads);
  const slices = Array.from({ length: threads }, (_, i) => ids.slice(i * size, (i + 1) * size));
  const only = (slice: string[]): MerlaiConfig => ({
    environments: Object.fromEntries(slice.map((id) => [id, config.environments[id]])),
  });
  const workers = slices.slice(1).map((slice) => startWorker({ outdir, config: only(slice), file }));
  let failure: unknown;
  try {
    synthAll(buildAppsFromConfig(outdir, only(slices[0] ?? []), file));
  } catch (error) {
    failure = error;
  }
  for (const wait of workers) {
    const failed = wait();
    if (failed && failure === undefined)
      failure = failed.problems
        ? new ConfigError(failed.file ?? 'configuration', failed.problems)
        : new Error(failed.message);
  }
  if (failure !== undefined) throw failure;
}

/** A worker's side: writes its slice (exported by main.ts too, for the synth bundle). */
export function synthWorker(job: FleetJob): void {
  synthAll(buildAppsFromConfig(job.outdir, job.config, job.file));
}

/**
 * Starts a worker on `job`; the function returned blocks until it is done (Atomics.wait: the
 * synth stays synchronous) and returns its failure, if any.
 */
function startWorker(job: FleetJob): () => Failure | undefined {
  const done = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const source = `
    const { workerData } = require('node:worker_threads');
    const { job, done, port, entry } = workerData;
    try {
      require(entry).synthWorker(job);
      port.postMessage(undefined);
    } catch (error) {
      port.postMessage({ message: String(error && error.message || error), file: error && error.file, problems: error && error.problems });
    } finally {
      port.close();
      Atomics.store(done, 0, 1);
      Atomics.notify(done, 0);
    }`;
  const worker = new Worker(source, {
    eval: true,
    workerData: { job, done, port: port2, entry: __filename },
    transferList: [port2],
  });
  worker.unref();
  return () => {
    Atomics.wait(done, 0, 0);
    const message = receiveMessageOnPort(port1 as MessagePort);
    port1.close();
    if (!message) return { message: 'a synth worker stopped without a word' };
    return message.message as Failure | undefined;
  };
}
