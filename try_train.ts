import { domainSet } from './test/sdk/training/helpers.js';
import { readSet, trainSet, useBackend } from './src/sdk/training/index.js';
const domain = process.argv[2] as 'payments';
const scale = Number(process.argv[3]);
await useBackend('cpu');
let t0 = Date.now();
const { table } = await domainSet('/tmp/trytrain-' + domain, domain, scale);
console.log('set', table.numRows, Date.now() - t0, 'ms');
for (const model of ['logistic', 'mlp'] as const) {
  t0 = Date.now();
  const r = await trainSet(readSet(table), { model, epochs: Number(process.argv[4] ?? 10) });
  console.log(model, r.task, JSON.stringify(r.split), JSON.stringify(r.metrics), JSON.stringify(r.baseline), r.beatsBaseline, Date.now() - t0, 'ms', Math.round(r.rowsPerSecond), 'rows/s');
  console.log(r.history.map((h) => `${h.loss.toFixed(3)}/${h.valLoss.toFixed(3)}`).join(' '));
}
