import cliProgress from 'cli-progress';

/** A progress bar with a rate, shown only when the stream is a terminal; silent otherwise (logs, CI, pipes). */
export interface Progress {
  update(done: number, total?: number, label?: string): void;
  stop(): void;
}

export function progressBar(unit: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update() {}, stop() {} };
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: ` {label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate} ${unit}/s | {duration_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let running = false;
  return {
    update(done, total, label = '') {
      const rate = formatCount((done / Math.max(1, Date.now() - started)) * 1000);
      if (!running) {
        bar.start(total ?? done, done, { rate, label });
        running = true;
      }
      if (total !== undefined) bar.setTotal(total);
      bar.update(done, { rate, label });
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}

/** 1234567 -> "1.23M". */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}
