import { rename, writeFile } from 'node:fs/promises';

/**
 * Replace a file atomically: write a temporary file beside it, then rename it over the old one, so
 * that a crash leaves the old content or the new, never half of one.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
