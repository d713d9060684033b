import { Command, CommanderError } from 'commander';
import { ConfigError } from '../sdk/config/configError.js';

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

  program.command('validate').argument('<config>', 'feature-set YAML').description('check a config and everything it names').action((file: string) => run(async () => (await import('./commands/validate.js')).validateCommand(file, out))());
  program
    .command('replay')
    .argument('<config>', 'feature-set YAML')
    .description('compute the features over recorded events and write them as Arrow IPC')
    .option('--from <time>', 'first event time (ISO-8601 or epoch ms), inclusive')
    .option('--to <time>', 'last event time, exclusive')
    .option('--out <dir>', 'folder for the feature tables (default <data_dir>/features)')
    .option('--reimport', 'import source files again even if unchanged')
    .option('--executor <kind>', 'where the pipelines run: local (one thread, default), threads (worker-thread actors) or cluster (ZeroMQ actor node processes)')
    .option('--workers <n>', 'worker threads for --executor threads (default 2)')
    .option('--nodes <n>', 'actor node processes for --executor cluster, started on loopback (default 2)')
    .option('--checkpoint-every <rows>', '--executor cluster: a checkpoint every this many source rows (default 500000)')
    .option('--json', 'print the summary as JSON')
    .action((file: string, flags) => run(async () => (await import('./commands/replay.js')).replayCommand(file, flags, out))());
  program
    .command('backfill')
    .argument('<config>', 'feature-set YAML')
    .description("compute the feature tables' rows of a time range, equal to a full replay's, by time partitions on a thread pool")
    .option('--from <time>', 'first row time (ISO-8601 or epoch ms), inclusive; for a windowed table, the window end')
    .option('--to <time>', 'last row time, exclusive')
    .option('--threads <n>', 'pool threads (default: the cores, up to 4); ranges under ~250k events run on the calling thread')
    .option('--partitions <p>', 'time partitions per group of tables (default: one per thread, each of at least ~1 ms of work)')
    .option('--out <dir>', 'folder for the tables (default <data_dir>/backfill/<feature set>)')
    .option('--approximate', 'warm running sums (sum, mean, std...) over their window only: values equal a full replay up to floating-point rounding')
    .option('--reimport', 'import source files again even if unchanged')
    .option('--json', 'print the summary as JSON')
    .action((file: string, flags) => run(async () => (await import('./commands/backfill.js')).backfillCommand(file, flags, out))());
  program
    .command('inspect')
    .argument('<config>', 'feature-set YAML')
    .description('sources, features, dependency graph and row counts')
    .option('--json', 'print as JSON')
    .action((file: string, flags) => run(async () => (await import('./commands/inspect.js')).inspectCommand(file, flags, out))());
  program
    .command('aggregations')
    .argument('<config>', 'feature-set YAML')
    .description('the aggregation series the features keep: bucket, retention and the features on each')
    .option('--json', 'print as JSON')
    .action((file: string, flags) => run(async () => (await import('./commands/aggregations.js')).aggregationsCommand(file, flags, out))());
  program
    .command('import')
    .argument('<config>', 'feature-set YAML')
    .description("import the sources' files into the event log")
    .option('--force', 'import again even if unchanged')
    .option('--threads <n>', 'decode CSV and JSON lines on n threads (same log; default 1)')
    .action((file: string, flags) => run(async () => (await import('./commands/import.js')).importCommand(file, flags, out))());
  program
    .command('generate')
    .argument('<domain>', 'market, user_events, payments or all')
    .description('write deterministic sample data')
    .option('--out <dir>', 'output folder', 'data/samples')
    .option('--seed <n>', 'random seed')
    .option('--scale <x>', 'size multiplier')
    .action((domain: string, flags) => run(async () => (await import('./commands/generate.js')).generateCommand(domain, flags, out))());
  program
    .command('live')
    .argument('<config>', 'feature-set YAML')
    .description("compute the features over live events (the config's live: sources) until SIGINT/SIGTERM")
    .option('--out <dir>', 'folder for the tables written on stop (default <data_dir>/live)')
    .option('--duration <time>', 'stop after this long, e.g. 30s')
    .option('--fsync', 'flush every log append to disk (survives power loss; slower)')
    .option('--model <dir>', "score each new row of the model's set with this model (a folder train wrote)")
    .option('--predictions <file>', 'with --model: predictions file (default <data_dir>/live/predictions/<set>.arrows)')
    .option('--max-hold <time>', 'with --model: the longest (event time) a row waits for the sources it joins (default: until their watermarks pass it)')
    .option('--backend <name>', 'with --model: cpu or wasm', 'cpu')
    .option('--json', 'print the summary as JSON')
    .action((file: string, flags) => run(async () => (await import('./commands/live.js')).liveCommand(file, flags, out))());
  program
    .command('label')
    .argument('<config>', 'feature-set YAML')
    .description('build the feature-label sets: features as of each row, labels from the future')
    .option('--set <name...>', 'only these sets (default: all)')
    .option('--out <dir>', 'folder for the set files (default <data_dir>/sets)')
    .option('--format <format>', "arrow or parquet (default: each set's format)")
    .option('--inference', 'keep rows past the end of the data, with a null label')
    .option('--threads <n>', 'assemble each set on n threads (same output; default 1)')
    .option('--json', 'print the summary as JSON')
    .action((file: string, flags) => run(async () => (await import('./commands/label.js')).labelCommand(file, flags, out))());
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
    .option('--categorical <columns>', 'string columns of the set as categorical inputs: col[:onehot|:embedding],...')
    .option('--max-categories <n>', 'values kept per categorical input, the most frequent in training (default 100)')
    .option('--backend <name>', 'cpu (zero-copy) or wasm', 'cpu')
    .option('--json', 'print the result as JSON')
    .action((file: string, flags) => run(async () => (await import('./commands/train.js')).trainCommand(file, flags, out))());
  program
    .command('infer')
    .argument('<config>', 'feature-set YAML')
    .description('score an inference set with a model saved by train, and write the predictions as Arrow')
    .requiredOption('--model <dir>', 'the model folder train wrote')
    .option('--set <name>', "the set (default: the config's only set)")
    .option('--out <file>', 'predictions file (default <data_dir>/predictions/<set>.arrow)')
    .option('--backend <name>', 'cpu or wasm', 'cpu')
    .option('--json', 'print the summary as JSON')
    .action((file: string, flags) => run(async () => (await import('./commands/infer.js')).inferCommand(file, flags, out))());
  program
    .command('serve')
    .argument('<config>', 'feature-set YAML')
    .description('serve the latest feature vectors over ZeroMQ and HTTP')
    .option('--zmq <endpoint>', 'ZeroMQ endpoint to bind (default: online.zmq of the config)')
    .option('--http <port>', 'HTTP port (default: online.http of the config)')
    .option('--host <host>', 'HTTP interface (default 127.0.0.1)')
    .action((file: string, flags) => run(async () => (await import('./commands/serve.js')).serveCommand(file, flags, out))());
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
  ).action((file: string, flags) => run(async () => (await import('./commands/deploy.js')).deployCommand(file, flags, out))());
  kube(program.command('scale').argument('<replicas>', 'number of actor nodes').description('change the number of actor nodes on Kubernetes')).action(
    (replicas: string, flags) => run(async () => (await import('./commands/scale.js')).scaleCommand(replicas, flags, out))(),
  );
  kube(program.command('status').description('actor nodes, coordinator and pods on Kubernetes').option('--json', 'print as JSON')).action((flags) =>
    run(async () => (await import('./commands/status.js')).statusCommand(flags, out))(),
  );
  kube(
    program
      .command('teardown')
      .description('delete the Kubernetes deployment (keeps the data volume)')
      .option('--delete-data', 'also delete the data volume: event log and checkpoints')
      .option('--yes', 'confirm --delete-data')
      .option('--dry-run', 'list what would be deleted'),
  ).action((flags) => run(async () => (await import('./commands/teardown.js')).teardownCommand(flags, out))());
  program
    .command('node')
    .argument('[config]', 'feature-set YAML (checked only: the coordinator sends the one that runs)')
    .description('run an actor node: join the coordinator, own key groups, run their pipelines')
    .requiredOption('--id <id>', 'node id (a pod name in Kubernetes)')
    .requiredOption('--coordinator <endpoint>', 'control endpoint, e.g. tcp://tributary-coordinator:7600')
    .option('--advertise <host>', 'host the coordinator reaches this node at (default: the bind host)')
    .option('--data-port <port>', 'data PULL port (default 7601)')
    .option('--data-bind <endpoint>', 'data PULL endpoint (default tcp://0.0.0.0:<data-port>; tcp://127.0.0.1:* for any port)')
    .option('--online-port <port>', 'reserved for online fetch from nodes (accepted, not served yet: use tributary serve)')
    .option('--health-port <port>', 'HTTP /healthz and /readyz')
    .option('--data-dir <dir>', 'accepted for the pods; a node keeps no state on disk (checkpoints go to the coordinator)')
    .option('--curve-dir <dir>', 'ZeroMQ CURVE keys (tributary keys); absent or empty: plaintext')
    .option('--join-timeout <time>', 'give up when not welcomed within this long (default 30s)')
    .action((file: string | undefined, flags) => run(async () => (await import('./commands/node.js')).nodeCommand(file, flags, out))());
  program
    .command('coordinator')
    .argument('<config>', 'feature-set YAML')
    .description('run the coordinator: membership, key groups, checkpoints; replays the feature set on the nodes that join')
    .option('--bind <endpoint>', 'control ROUTER endpoint (default tcp://0.0.0.0:7600)')
    .option('--sink-port <port>', 'output PULL port on the bind host (default 7603)')
    .option('--advertise <host>', 'host nodes reach the sink at (default: the bind host)')
    .option('--health-port <port>', 'HTTP /healthz and /readyz')
    .option('--data-dir <dir>', "the config's data_dir (log, checkpoints, tables)")
    .option('--curve-dir <dir>', 'ZeroMQ CURVE keys; absent or empty: plaintext')
    .option('--nodes <n>', 'nodes to run on (default 2)')
    .option('--wait <time>', 'start with the nodes there after this long (default 60s)')
    .option('--restore-wait <time>', 'after a node is lost, wait this long for a replacement, then go on with the nodes left (default 10s)')
    .option('--max-in-flight-rows <n>', 'flow control: rows sent to a node and not yet processed (default 1000000)')
    .option('--heartbeat-timeout <time>', 'a node silent this long is lost, and the run restored (default 10s)')
    .option('--checkpoint-every <rows>', 'a checkpoint every this many source rows (default 500000)')
    .option('--resume', 'go on from the latest complete checkpoint (any number of nodes)')
    .option('--stop-after-checkpoint <id>', 'stop once this checkpoint is complete (to rescale: then --resume)')
    .option('--once', 'exit when the replay is done')
    .option('--json', 'print the summary as JSON')
    .action((file: string, flags) => run(async () => (await import('./commands/coordinator.js')).coordinatorCommand(file, flags, out))());
  program
    .command('checkpoints')
    .argument('<config>', 'feature-set YAML')
    .description("list the cluster runs' complete checkpoints; --prune N keeps the N newest")
    .option('--prune <n>', 'keep only the n newest')
    .option('--data-dir <dir>', "the config's data_dir (as given to the coordinator)")
    .option('--json', 'print as JSON')
    .action((file: string, flags) => run(async () => (await import('./commands/checkpoints.js')).checkpointsCommand(file, flags, out))());
  program
    .command('keys')
    .argument('<dir>', 'directory to write the CURVE keys to')
    .description('generate ZeroMQ CURVE keys for the cluster (the tributary-curve Secret)')
    .option('--force', 'replace keys already in the directory')
    .action((dir: string, flags) => run(async () => (await import('./commands/keys.js')).keysCommand(dir, flags, out))());
  program
    .command('demo')
    .description('generate sample data, replay every example config, build its training set, train a model and score live events with it (npm start)')
    .option('--out <dir>', 'sample data folder', 'data/samples')
    .option('--epochs <n>', 'training passes per domain', '5')
    .action((flags) => run(async () => (await import('./commands/demo.js')).demoCommand(flags, out))());

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
