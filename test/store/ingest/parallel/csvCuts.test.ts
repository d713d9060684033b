import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../../../src/store/ingest/csv.js';
import { CsvCutScanner, csvCuts } from '../../../../src/store/ingest/parallel/csvCuts.js';

const cutsOf = (text: string, rangeBytes: number): number[] => csvCuts(Buffer.from(text), rangeBytes);

describe('csvCuts', () => {
  it('cuts only after line feeds outside quoted fields', () => {
    expect(cutsOf('a,"x\ny"\nb,c\nd,e\n', 1)).toEqual([8, 12, 16]);
    expect(cutsOf('a\n"b\nc"\nd\n', 1)).toEqual([2, 8, 10]);
  });

  it('reads `""` as an escaped quote, not the end of the field', () => {
    expect(cutsOf('"a""\n""b"\nc\n', 1)).toEqual([10, 12]);
  });

  it('a quote inside an unquoted field is a plain character, not an opening quote', () => {
    // Bare parity would think the LF after `b"c` is inside quotes, and the one inside "x\ny" outside.
    expect(cutsOf('a,b"c\n1,"x\ny"\n', 1)).toEqual([6, 14]);
  });

  it('a quote after CR (a CR line end) opens a quoted field', () => {
    expect(cutsOf('a\r"b\nc"\n', 1)).toEqual([8]);
  });

  it('keeps ranges at least rangeBytes long', () => {
    expect(cutsOf('a\nb\nc\nd\ne\n', 4)).toEqual([4, 8]);
    expect(cutsOf('a\nb\nc\n', 100)).toEqual([]);
  });

  it('an unterminated quote leaves no cut after it', () => {
    expect(cutsOf('a\n"b\nc\nd\n', 1)).toEqual([2]);
  });

  it('property: a cut never splits a record, and scanning in chunks gives the same cuts', () => {
    const piece = fc.constantFrom('a', 'b', ',', '"', '""', '\n', '\r\n', '\r', ' ', 'é');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 9 }), (pieces, rangeBytes, chunk) => {
        const text = pieces.join('');
        const bytes = Buffer.from(text);
        const cuts = csvCuts(bytes, rangeBytes);
        // Parsing either side of every cut on its own gives the whole text's records.
        const bounds = [0, ...cuts, bytes.length];
        const parts = bounds.slice(1).flatMap((end, i) => parseCsv(bytes.toString('utf8', bounds[i], end)));
        expect(parts).toEqual(parseCsv(text));
        for (let i = 1; i < bounds.length; i++) if (i < bounds.length - 1) expect(bounds[i]! - bounds[i - 1]!).toBeGreaterThanOrEqual(rangeBytes);
        const scanner = new CsvCutScanner({ firstCut: rangeBytes, rangeBytes });
        const chunked: number[] = [];
        for (let pos = 0; pos < bytes.length; pos += chunk) chunked.push(...scanner.scan(bytes.subarray(pos, pos + chunk), pos));
        expect(chunked).toEqual(cuts);
      }),
      { numRuns: 500 },
    );
  });
});
