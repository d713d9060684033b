import { Command, CommanderError } from 'commander';
import { aggregationsCommand } from './commands/aggregations.js';
import { ConfigError } from '../sdk/config/configError.js';
import { demoCommand } from './commands/demo.js';
import { deployCommand } from './commands/deploy.js';
import { generateCommand } from './commands/generate.js';
import { importCommand } from './commands/import.js';
import { inferCommand } from './commands/infer.js';
import { inspectCommand } from './commands/inspect.js';
import { labelCommand } from './commands/label.js';
import { liveCommand } from './commands/live.js';
import { replayCommand } from './commands/replay.js';
import { scaleCommand } from './commands/scale.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { teardownCommand } from './commands/teardown.js';
import { trainCommand } from './commands/train.js';
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
    .option('--executor <kind>', 'where the pipelines run: local (one thread, default) or threads (worker-thread actors)')
    .option('--workers <n>', 'worker threads for --executor threads (default 2)')
    .option('--json', 'print the summary as JSON')
    .action((file: string, flags) => run(() => replayCommand(file, flags, out))());
  program
    .command('inspect')
    .argument('<config>', 'feature-set YAML')
    .description('sources, features, dependency graph and row counts')
    .option('--json', 'print as JSON')
    .action((file: string, flags) => run(() => inspectCommand(file, flags, out))());
  program
    .command('aggregations')
    .argument('<config>', 'feature-set YAML')
    .description('the aggregation series the features keep: bucket, retention and the features on each')
    .option('--json', 'print as JSON')
    .action((file: string, flags) => run(() => aggregationsCommand(file, flags, out))());
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
    .command('live')
    .argument('<config>', 'feature-set YAML')
    .description("compute the features over live events (the config's live: sources) until SIGINT/SIGTERM")
    .option('--out <dir>', 'folder for the tables written on stop (default <data_dir>/live)')
    .option('--duration <time>', 'stop after this long, e.g. 30s')
    .option('--fsync', 'flush every log append to disk (survives power loss; slower)')
    .option('--json', 'print the summary as JSON')
    .action((file: string, flags) => run(() => liveCommand(file, flags, out))());
  program
    .command('label')
    .argument('<config>', 'feature-set YAML')
    .description('build the feature-label sets: features as of each row, labels from the future')
    .option('--set <name...>', 'only these sets (default: all)')
    .option('--out <dir>', 'folder for the set files (default <data_dir>/sets)')
    .option('--format <format>', "arrow or parquet (default: each set's format)")
    .option('--inference', 'keep rows past the end of the data, with a null label')
    .option('--json', 'print the summary as JSON')
    .action((file: string, flags) => run(() => labelCommand(file, flags, out))());
  program
    .command('train')
    .argument('<config>', 'feature-set YAML')
    .description('train a TF.js model on a feature-label set and report held-out metrics against a naive baseline')
    .option('--set <name>', "the set (default: the config's only set)")
    .option('--model <kind>', 'logistic or mlp', 'logistic')
    .option('--epochs <n>', 'passes over the training rows', '10')
    .option('--out <dir>', 'model folder (default <data_dir>/models/<set>-<model>)')
    .option('--batch-size <n>', 'rows per batch', '256')
    .option('--learning-rate <x>', 'Adam learning rate', '0.01')
    .option('--validation <fraction>', 'share of the latest labelled rows held out', '0.2')
    .option('--no-missing-indicators', 'no 0/1 "was null" inputs')
    .option('--backend <name>', 'cpu (zero-copy) or wasm', 'cpu')
    .option('--json', 'print the result as JSON')
    .action((file: string, flags) => run(() => trainCommand(file, flags, out))());
  program
    .command('infer')
    .argument('<config>', 'feature-set YAML')
    .description('score an inference set with a model saved by train, and write the predictions as Arrow')
    .requiredOption('--model <dir>', 'the model folder train wrote')
    .option('--set <name>', "the set (default: the config's only set)")
    .option('--out <file>', 'predictions file (default <data_dir>/predictions/<set>.arrow)')
    .option('--backend <name>', 'cpu or wasm', 'cpu')
    .option('--json', 'print the summary as JSON')
    .action((file: string, flags) => run(() => inferCommand(file, flags, out))());
  program
    .command('serve')
    .argument('<config>', 'feature-set YAML')
    .description('serve the latest feature vectors over ZeroMQ and HTTP')
    .option('--zmq <endpoint>', 'ZeroMQ endpoint to bind (default: online.zmq of the config)')
    .option('--http <port>', 'HTTP port (default: online.http of the config)')
    .option('--host <host>', 'HTTP interface (default 127.0.0.1)')
    .action((file: string, flags) => run(() => serveCommand(file, flags, out))());
  const kube = (c: Command) =>
    c
      .option('--kubeconfig <file>', 'kubeconfig (default $KUBECONFIG or ~/.kube/config)')
      .option('--context <name>', 'kubeconfig context (default the current one)')
      .option('-n, --namespace <ns>', "namespace (default the context's, or default)");
  kube(
    program
      .command('deploy')
      .argument('<config>', 'feature-set YAML')
      .description('deploy the feature set to Kubernetes: actor nodes, coordinator, config')
      .option('--image <ref>', 'container image (required: the base names a placeholder)')
      .option('--replicas <n>', 'actor nodes (default: keep the current number, or 2)')
      .option('--storage-class <name>', 'storage class of the data volume (default: the cluster default)')
      .option('--storage-size <quantity>', 'size of the data volume (default 20Gi)')
      .option('--access-mode <mode>', 'ReadWriteMany (default) or ReadWriteOnce (single-machine clusters)')
      .option('--dry-run <mode>', 'client: print the manifests; server: validate on the API server, change nothing'),
  ).action((file: string, flags) => run(() => deployCommand(file, flags, out))());
  kube(program.command('scale').argument('<replicas>', 'number of actor nodes').description('change the number of actor nodes on Kubernetes')).action(
    (replicas: string, flags) => run(() => scaleCommand(replicas, flags, out))(),
  );
  kube(program.command('status').description('actor nodes, coordinator and pods on Kubernetes').option('--json', 'print as JSON')).action((flags) =>
    run(() => statusCommand(flags, out))(),
  );
  kube(
    program
      .command('teardown')
      .description('delete the Kubernetes deployment (keeps the data volume)')
      .option('--delete-data', 'also delete the data volume: event log and checkpoints')
      .option('--yes', 'confirm --delete-data')
      .option('--dry-run', 'list what would be deleted'),
  ).action((flags) => run(() => teardownCommand(flags, out))());
  program
    .command('demo')
    .description('generate sample data, replay every example config, build its training set and train a model (npm start)')
    .option('--out <dir>', 'sample data folder', 'data/samples')
    .option('--epochs <n>', 'training passes per domain', '5')
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
