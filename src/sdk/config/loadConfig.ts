import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, type ConfigProblem } from './configError.js';
import { parseLocated } from './locate.js';
import { normalizeConfig } from './normalize.js';
import type { FeatureSetConfig } from './types.js';

/**
 * Read, check and normalise a feature-set YAML file. Every problem is reported at once, each with
 * its file, line, column and path, as a ConfigError.
 *
 * @example
 * const config = loadConfig('configs/payments.yaml');
 * config.features.map((f) => f.name);
 */
export function loadConfig(file: string, opts: { dataDir?: string } = {}): FeatureSetConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ConfigError([{ file, line: 1, column: 1, path: '(file)', message: reason }]);
  }
  return parseConfig(text, { file, dir: dirname(resolve(file)), ...opts });
}

/** Check and normalise config text; `dir` resolves relative paths (default: the working directory). */
export function parseConfig(text: string, opts: { file?: string; dir?: string; dataDir?: string } = {}): FeatureSetConfig {
  const file = opts.file ?? '<inline>';
  const doc = parseLocated(text, file);
  if (doc.yamlErrors.length > 0) {
    throw new ConfigError(doc.yamlErrors.map((e) => ({ file, line: e.line, column: e.column, path: '(yaml)', message: e.message })));
  }
  const problems: ConfigProblem[] = [];
  const hash = createHash('sha256').update(text).digest('hex');
  const config = normalizeConfig(doc, { file, dir: opts.dir ?? process.cwd(), hash, problems, dataDir: opts.dataDir });
  if (problems.length > 0 || config === undefined) throw new ConfigError(problems);
  return config;
}
