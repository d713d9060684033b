/** Where in a config file something is: the file, 1-based line and column, and the path of keys to it. */
export interface ConfigLocation {
  file: string;
  line: number;
  column: number;
  /** e.g. `features[2].windows[0]` */
  path: string;
}

export interface ConfigProblem extends ConfigLocation {
  message: string;
}

/** Path segments as the YAML library and zod give them, printed the way a user reads them. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out || '(top level)';
}

/**
 * Every problem found in a config, each with its place. `message` lists them one a line as
 * `file:line:column path: what is wrong`, which editors and terminals turn into links.
 */
export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.path}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}
