#!/usr/bin/env node
// Scratch launcher (not part of the project): `tributary` with `live` wired as src/cli/main.ts would wire it.
import { register } from 'tsx/esm/api';
register();
if (process.argv[2] !== 'live') {
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv);
} else {
  const { Command } = await import('commander');
  const { liveCommand } = await import('../src/cli/commands/live.ts');
  let code = 0;
  const program = new Command('tributary').exitOverride();
  program
    .command('live')
    .argument('<config>', 'feature-set YAML')
    .option('--out <dir>')
    .option('--duration <time>')
    .option('--fsync')
    .option('--json')
    .action(async (file, flags) => { code = await liveCommand(file, flags, (l) => console.log(l)); });
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    console.error(`error: ${e.message}`);
    if (process.env.TRIBUTARY_DEBUG) console.error(e.stack);
    code = 1;
  }
  process.exitCode = code;
}
