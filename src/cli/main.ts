import { Command, CommanderError } from 'commander';
import { ConfigError } from '../sdk/config/configError.js';
import { demoCommand } from './commands/demo.js';
import { generateCommand } from './commands/generate.js';
import { importCommand } from './commands/import.js';
import { inspectCommand } from './commands/inspect.js';
import { replayCommand } from './commands/replay.js';
import { validateCommand } from './commands/validate.js';

/** Exit codes: 0 done, 1 failed while running, 2 the config or the command line is wrong. */
export async function main(argv: readonly string[], out: (line: string) => void = (l) => console.log(l), err: (line: string) => void = (l) => console.error(l)): Promise<number> {
  let code = 0;
  const run = (action: () => Promise<number>) => async () => {
    code = await action();
  };
  const program = new Command('tributary')
    .description('Feature engine for machine learning: declare features once, replay history, serve live.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out(s.trimEnd()), writeErr: (s) => err(s.trimEnd()) })
    .showHelpAfterError();

  program.command('validate').argument('<config>', 'feature-set YAML').description('check a config and everything it names').action((file: string) => run(() => validateCommand(file, out))());
  program
    .command('replay')
    .argument('<config>', 'feature-set YAML')
    .description('compute the features over recorded events and write them as Arrow IPC')
    .option('--from <time>', 'first event time (ISO-8601 or epoch ms), inclusive')
    .option('--to <time>', 'last event time, exclusive')
    .option('--out <dir>', 'folder for the feature tables (default <data_dir>/features)')
    .option('--reimport', 'import source files again even if unchanged')
    .option('--json', 'print the summary as JSON')
    .action((file: string, flags) => run(() => replayCommand(file, flags, out))());
  program
    .command('inspect')
    .argument('<config>', 'feature-set YAML')
    .description('sources, features, dependency graph and row counts')
    .option('--json', 'print as JSON')
    .action((file: string, flags) => run(() => inspectCommand(file, flags, out))());
  program
    .command('import')
    .argument('<config>', 'feature-set YAML')
    .description("import the sources' files into the event log")
    .option('--force', 'import again even if unchanged')
    .action((file: string, flags) => run(() => importCommand(file, flags, out))());
  program
    .command('generate')
    .argument('<domain>', 'market, user_events, payments or all')
    .description('write deterministic sample data')
    .option('--out <dir>', 'output folder', 'data/samples')
    .option('--seed <n>', 'random seed')
    .option('--scale <x>', 'size multiplier')
    .action((domain: string, flags) => run(() => generateCommand(domain, flags, out))());
  program
    .command('demo')
    .description('generate sample data and replay every example config (npm start)')
    .option('--out <dir>', 'sample data folder', 'data/samples')
    .action((flags) => run(() => demoCommand(flags, out))());

  try {
    await program.parseAsync(argv as string[]);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof ConfigError) {
      err(e.message);
      return 2;
    }
    err(`error: ${(e as Error).message ?? String(e)}`);
    if (process.env.TRIBUTARY_DEBUG) err((e as Error).stack ?? '');
    return 1;
  }
}
