import { Push } from 'zeromq';
const s = new Push(); s.connect(process.argv[2]);
const t0 = 1_700_000_000_000;
for (let m = 0; m < 20; m++) {
  const lines = [];
  for (let i = 0; i < 50; i++) { const k = m * 50 + i; lines.push(JSON.stringify({ ts: t0 + k * 100 - (k % 7 === 0 ? 1500 : 0), sym: ['A','B','C'][k % 3], px: 100 + (k % 13), qty: k % 5 })); }
  if (m === 3) lines.push('not json');
  if (m === 4) lines.push('{"ts":"bad","sym":"A"}');
  await s.send(lines.join('\n'));
}
await s.send('garbage \x00\x01');
await new Promise((r) => setTimeout(r, 300));
s.close();
