import type { Position } from './ast.js';

/**
 * What went wrong: `syntax` (the text does not parse), `name` (unknown function or column),
 * `type` (operands of the wrong type), `eval` (the batch does not match what was checked).
 */
export type ExpressionErrorKind = 'syntax' | 'name' | 'type' | 'eval';

/**
 * Every error the expression language raises. `reason` is the bare sentence; `message` adds the
 * line and column and, when the source text is known, a caret excerpt, so an uncaught error
 * already tells the user where to look.
 *
 * @example
 * try {
 *   parseExpression('sqr(x)');
 * } catch (e) {
 *   if (e instanceof ExpressionError) console.log(e.reason, e.position.column, '\n' + e.excerpt);
 *   // unknown function 'sqr'; did you mean 'sqrt'? 1
 *   // 1 | sqr(x)
 *   //   | ^^^
 * }
 */
export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  readonly kind: ExpressionErrorKind;
  readonly reason: string;
  readonly position: Position;
  /** Offset just past the offending text. */
  readonly end: number;
  /** The offending source line with carets under the offending text; '' when the source is unknown. */
  readonly excerpt: string;
  /** The closest valid name, when the error is about an unknown one. */
  readonly suggestion: string | undefined;

  constructor(
    kind: ExpressionErrorKind,
    reason: string,
    position: Position,
    options: { end?: number; source?: string | undefined; suggestion?: string | undefined } = {},
  ) {
    const excerpt = options.source === undefined ? '' : caretExcerpt(options.source, position, options.end);
    super(`${reason} (line ${position.line}, column ${position.column})${excerpt === '' ? '' : '\n' + excerpt}`);
    this.kind = kind;
    this.reason = reason;
    this.position = position;
    this.end = Math.max(options.end ?? position.offset + 1, position.offset + 1);
    this.excerpt = excerpt;
    this.suggestion = options.suggestion;
  }
}

/** `reason` plus "; did you mean 'x'?" when there is a suggestion. */
export function withSuggestion(reason: string, suggestion: string | undefined): string {
  return suggestion === undefined ? reason : `${reason}; did you mean '${suggestion}'?`;
}

/** The line, column and offset of `offset` in `source`. */
export function positionAt(source: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  const stop = Math.min(offset, source.length);
  for (let i = 0; i < stop; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1 };
}

/**
 * Two lines: the source line holding `pos`, and carets under `[pos, end)` (clipped to that line).
 * Tabs are kept in the caret line so the carets stay aligned in a terminal.
 */
export function caretExcerpt(source: string, pos: Position, end?: number): string {
  const lineStart = pos.offset - (pos.column - 1);
  let lineEnd = source.indexOf('\n', lineStart);
  if (lineEnd < 0) lineEnd = source.length;
  const text = source.slice(lineStart, lineEnd).replace(/\r$/, '');
  const stop = Math.min(Math.max(end ?? pos.offset + 1, pos.offset + 1), lineStart + text.length);
  const width = Math.max(1, stop - pos.offset);
  const pad = text.slice(0, pos.column - 1).replace(/[^\t]/g, ' ');
  const gutter = String(pos.line);
  return `${gutter} | ${text}\n${' '.repeat(gutter.length)} | ${pad}${'^'.repeat(width)}`;
}
