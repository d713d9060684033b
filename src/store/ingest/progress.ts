import type { RowBuilder } from './rowBuilder.js';

/** Readers report how far they are: input rows read so far (good and bad) and bytes read. */
export type ReadProgress = (rowsRead: number, bytesRead: number) => void;

/** A format reader: streams `file` into `builder`, throwing an Error naming the file for whole-file problems. */
export type FileReader = (file: string, builder: RowBuilder, progress: ReadProgress) => Promise<void>;

/** The message of whatever was thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
