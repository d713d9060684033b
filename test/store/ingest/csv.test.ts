import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvParser, parseCsv } from '../../../src/store/ingest/csv.js';

/** Feed `text` to a parser in pieces cut at `cuts` (positions), so that every state crosses a piece boundary. */
function parseInPieces(text: string, cuts: number[]): string[][] {
  const p = new CsvParser();
  const out: string[][] = [];
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    out.push(...p.push(text.slice(at, c)));
    at = c;
  }
  out.push(...p.push(text.slice(at)));
  out.push(...p.end());
  return out;
}

describe('CsvParser', () => {
  it('reads plain fields, LF and CRLF line ends, and a last line without a line end', () => {
    expect(parseCsv('a,b,c\n1,2,3\r\n4,5,6')).toEqual([
      ['a', 'b', 'c'],
      ['1', '2', '3'],
      ['4', '5', '6'],
    ]);
  });

  it('reads quoted fields with delimiters, escaped quotes and line breaks inside', () => {
    expect(parseCsv('id,text\n1,"a, b"\n2,"say ""hi"""\n3,"two\r\nlines"\n')).toEqual([
      ['id', 'text'],
      ['1', 'a, b'],
      ['2', 'say "hi"'],
      ['3', 'two\r\nlines'],
    ]);
  });

  it('keeps empty cells as empty text, including a trailing one, and skips blank lines', () => {
    expect(parseCsv('a,b,c\n,,\n\n1,,\r\n\r\n,2,\n')).toEqual([
      ['a', 'b', 'c'],
      ['', '', ''],
      ['1', '', ''],
      ['', '2', ''],
    ]);
  });

  it('keeps a line holding only "" (a quoted empty field), which is not blank', () => {
    expect(parseCsv('x\n""\n')).toEqual([['x'], ['']]);
  });

  it('pairs a CR at the end of one piece with an LF at the start of the next', () => {
    const p = new CsvParser();
    expect(p.push('a,b\r')).toEqual([['a', 'b']]);
    expect(p.push('\n1,2\r')).toEqual([['1', '2']]);
    expect(p.push('\n')).toEqual([]);
    expect(p.end()).toEqual([]);
  });

  it('handles a quote split from its escape across pieces', () => {
    expect(parseInPieces('"a""b",c\n', [3])).toEqual([['a"b', 'c']]);
    expect(parseInPieces('"a""b",c\n', [4])).toEqual([['a"b', 'c']]);
  });

  it('returns an unterminated quoted field at the end, flagged', () => {
    const p = new CsvParser();
    expect(p.push('a,b\n1,"open\n2,3\n')).toEqual([['a', 'b']]);
    expect(p.end()).toEqual([['1', 'open\n2,3\n']]);
    expect(p.unterminatedQuote).toBe(true);
  });

  it('round-trips random rows written by a naive CSV writer, fed in random pieces', () => {
    // Fields drawn mostly from the characters that matter to CSV, so that quoting is exercised often.
    const field = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r', 'é', '😀'), maxLength: 8 });
    const row = (width: number) => fc.array(field, { minLength: width, maxLength: width });
    const table = fc.integer({ min: 1, max: 5 }).chain((w) => fc.array(row(w), { minLength: 1, maxLength: 20 }));
    const quote = (f: string) => (f === '' || /[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f);
    fc.assert(
      fc.property(table, fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.array(fc.nat(), { maxLength: 6 }), (rows, eol, trailing, cuts) => {
        const text = rows.map((r) => r.map(quote).join(',')).join(eol) + (trailing ? eol : '');
        const parsed = parseInPieces(text, cuts.map((c) => c % (text.length + 1)));
        expect(parsed).toEqual(rows);
      }),
      { numRuns: 500 },
    );
  });
});
