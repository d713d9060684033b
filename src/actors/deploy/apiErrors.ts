import { ApiException } from '@kubernetes/client-node';

/** The HTTP status of a failed API call, or undefined when it is not an API error (a network error, say). */
export function statusOf(err: unknown): number | undefined {
  return err instanceof ApiException ? (err as ApiException<unknown>).code : undefined;
}

export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

/**
 * A one-line account of a failed API call. The client's own message dumps headers and the raw
 * body; the API server's `Status.message` ("statefulsets.apps \"x\" is forbidden: ...") is what
 * tells the user what to fix.
 *
 * @example
 * try { ... } catch (e) { throw new Error(`apply StatefulSet/tributary-node: ${describeApiError(e)}`); }
 */
export function describeApiError(err: unknown): string {
  if (err instanceof ApiException) {
    const e = err as ApiException<unknown>;
    let body: unknown = e.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        // not JSON: keep the text
      }
    }
    const message = typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string' ? (body as { message: string }).message : typeof body === 'string' && body !== '' ? body : 'no message';
    return `HTTP ${e.code}: ${message}`;
  }
  const cause = (err as { cause?: { code?: string } }).cause;
  const code = cause?.code ?? (err as { code?: string }).code;
  return `${(err as Error).message ?? String(err)}${code !== undefined && typeof code === 'string' && !(err as Error).message?.includes(code) ? ` (${code})` : ''}`;
}
