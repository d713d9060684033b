/**
 * How a decoder reports a row it could not use: its 1-based line (JSON lines) or row (Arrow) within
 * the message, the dead-letter reason (`<kind>: <detail>`), and the raw text when there is one.
 */
export type RowRejected = (row: number, reason: string, raw?: string) => void;

/**
 * A message decoder: adds the message's good rows to the source's open micro-batch, reports bad
 * rows, and returns a reason when the message as a whole is rejected (then it added nothing).
 */
export type MessageDecoder = (payload: Uint8Array, reject: RowRejected) => string | undefined;
