import type { LiveRows } from '../liveRows.js';
import { arrowStreamDecoder } from './arrowStream.js';
import { jsonLinesDecoder } from './jsonLines.js';
import type { MessageDecoder } from './types.js';

export type MessageFormat = 'jsonl' | 'arrow';

/**
 * The decoder for a source's message format, behind a size guard: a message over `maxMessageBytes`
 * is rejected unread (`message too large`), whatever its format.
 *
 * @example
 * const decode = messageDecoder('jsonl', rows, 16 << 20);
 * const rejected = decode(payload, (row, reason, raw) => deadLetters.write({ ... }));
 */
export function messageDecoder(format: MessageFormat, rows: LiveRows, maxMessageBytes: number): MessageDecoder {
  const decode = format === 'arrow' ? arrowStreamDecoder(rows) : jsonLinesDecoder(rows);
  return (payload, reject) => {
    if (payload.byteLength > maxMessageBytes) return tooLargeReason(payload.byteLength, maxMessageBytes);
    return decode(payload, reject);
  };
}

/** The dead-letter reason of a message over the size limit. */
export function tooLargeReason(bytes: number, maxMessageBytes: number): string {
  return `message too large: ${bytes} bytes, max_message_bytes is ${maxMessageBytes}`;
}
