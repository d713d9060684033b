const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Finds where a CSV file may be cut into ranges that each hold whole records: right after a line
 * feed that is not inside a quoted field. One pass over the bytes, fed in chunks of any size.
 *
 * Quotes are read exactly as CsvParser reads them, not by bare parity: a quote opens a quoted field
 * only at the start of a field (after a delimiter or a line end), `""` inside one is an escaped quote,
 * and a quote inside an unquoted field is a plain character. Counting parity alone would be thrown off
 * by such a stray quote and cut inside a later quoted field. The scan jumps from quote to quote with
 * Buffer.indexOf, and looks for a line feed only once a range is long enough, so it costs little more
 * than reading the file.
 *
 * A cut is only ever right after an LF, so a file with CR-only line ends has no cuts (it is decoded
 * as one range). LF never occurs inside a multi-byte UTF-8 character, so text decodes alike either side.
 *
 * @example
 * const s = new CsvCutScanner({ firstCut: 4, rangeBytes: 4 });
 * s.scan(Buffer.from('a,"x\ny"\nb,c\nd,e\n'), 0); // [8, 12, 16]: never at 5, inside the quotes
 */
export class CsvCutScanner {
  private quoted = false;
  /** Saw a closing-or-escaped quote as the last byte of a chunk: the next byte decides. */
  private quoteInQuoted = false;
  /** The byte before the chunk being scanned (LF at the start: a field starts there). */
  private prev = LF;
  private nextCut: number;
  private readonly rangeBytes: number;
  private readonly delimiter: number;

  constructor(opts: { firstCut: number; rangeBytes: number; delimiter?: string }) {
    if (!(opts.rangeBytes >= 1)) throw new Error(`rangeBytes must be at least 1, got ${opts.rangeBytes}`);
    this.nextCut = opts.firstCut;
    this.rangeBytes = opts.rangeBytes;
    this.delimiter = (opts.delimiter ?? ',').charCodeAt(0);
  }

  /**
   * Scan the next chunk of the file, which starts at file offset `base`; returns the cuts found in it
   * (file offsets just after an LF outside quotes), each at least `rangeBytes` after the one before.
   */
  scan(chunk: Buffer, base: number): number[] {
    const cuts: number[] = [];
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.quoteInQuoted) {
        this.quoteInQuoted = false;
        // `""` is an escaped quote and the field goes on; anything else follows a closing quote.
        if (chunk[i] === QUOTE) {
          i++;
          continue;
        }
        this.quoted = false;
      }
      if (this.quoted) {
        const q = chunk.indexOf(QUOTE, i);
        if (q < 0) break;
        this.quoteInQuoted = true;
        i = q + 1;
        continue;
      }
      // Outside quotes up to the next quote: every LF here is a record boundary.
      const q = chunk.indexOf(QUOTE, i);
      const stop = q < 0 ? n : q;
      for (;;) {
        const from = Math.max(i, this.nextCut - base - 1);
        if (from >= stop) break;
        const lf = chunk.indexOf(LF, from);
        if (lf < 0 || lf >= stop) break;
        cuts.push(base + lf + 1);
        this.nextCut = base + lf + 1 + this.rangeBytes;
      }
      if (q < 0) break;
      const before = q > 0 ? chunk[q - 1]! : this.prev;
      if (before === this.delimiter || before === LF || before === CR) this.quoted = true;
      i = q + 1;
    }
    if (n > 0) this.prev = chunk[n - 1]!;
    return cuts;
  }
}

/**
 * The cuts of a whole CSV text held in memory (tests, small inputs): offsets after LFs outside quotes,
 * the first at or after `start + rangeBytes`, then each at least `rangeBytes` after the last.
 *
 * @example
 * csvCuts(Buffer.from('a\n"b\nc"\nd\n'), 1); // [2, 8, 10]
 */
export function csvCuts(bytes: Buffer, rangeBytes: number, start = 0): number[] {
  return new CsvCutScanner({ firstCut: start + rangeBytes, rangeBytes }).scan(bytes.subarray(start), start);
}
