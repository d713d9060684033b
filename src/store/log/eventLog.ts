import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { emptyManifest, readManifest, writeManifest } from './manifest.js';
import { SourceLog } from './sourceLog.js';
import { specDifference, validateSpec, type SourceSpec } from './sourceSpec.js';

/**
 * The Kappa event log: one append-only `SourceLog` per source, each in `<dir>/<source>/`.
 * Replay reads it; live mode tails it. Reopening a directory gives back the same rows, offsets and
 * dictionary codes, including rows a crashed live run had only in its journal (see journal.ts).
 *
 * @example
 * const log = await EventLog.open('data/log');
 * const trips = await log.openSource({ name: 'trips', time: 'ts', timeFormat: 'auto', keys: ['driver'], lateness: 0,
 *   columns: { driver: 'string', fare: 'float64' } });
 * log.sources(); // ['trips']
 */
export class EventLog {
  private readonly logs = new Map<string, SourceLog>();

  private constructor(readonly dir: string) {}

  /** Open the log in `dir`, loading every source found there. A missing directory is an empty log. */
  static async open(dir: string): Promise<EventLog> {
    const log = new EventLog(dir);
    let entries: string[] = [];
    try {
      entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const name of entries.sort()) {
      const sourceDir = join(dir, name);
      const manifest = await readManifest(sourceDir);
      if (manifest === undefined) continue;
      const source = new SourceLog(sourceDir, manifest);
      await source.loadDictionaries();
      await source.loadJournal();
      log.logs.set(manifest.spec.name, source);
    }
    return log;
  }

  /** Names of the sources in the log, sorted. */
  sources(): string[] {
    return [...this.logs.keys()].sort();
  }

  source(name: string): SourceLog | undefined {
    return this.logs.get(name);
  }

  /**
   * Create the source, or open it when it exists. An existing source must have been created with the
   * same time column, keys and columns; otherwise this throws, saying what differs. A changed time
   * format or lateness is taken and saved.
   */
  async openSource(spec: SourceSpec, opts: { segmentRows?: number } = {}): Promise<SourceLog> {
    validateSpec(spec);
    let source = this.logs.get(spec.name);
    if (source === undefined) {
      const dir = join(this.dir, spec.name);
      const manifest = await readManifest(dir);
      if (manifest === undefined) {
        const fresh = emptyManifest(structuredClone(spec));
        await mkdir(dir, { recursive: true });
        await writeManifest(dir, fresh);
        source = new SourceLog(dir, fresh);
      } else {
        source = new SourceLog(dir, manifest);
        await source.loadDictionaries();
        await source.loadJournal();
      }
      this.logs.set(spec.name, source);
    }
    const diff = specDifference(source.spec, spec);
    if (diff !== undefined) {
      throw new Error(`source ${spec.name} in ${source.dir} was created with a different spec: ${diff}`);
    }
    await source.updateSpec(spec);
    if (opts.segmentRows !== undefined) source.setSegmentRows(opts.segmentRows);
    return source;
  }
}
