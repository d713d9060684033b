import { join } from 'node:path';
import { parseConfig } from '/work/main/src/sdk/config/loadConfig.js';
import { replay } from '/work/main/src/sdk/replay.js';
import { generateSamples } from '/work/main/src/sdk/samples/index.js';
const dir = '/tmp/upf_bench';

const yaml = `
name: b
data_dir: ${JSON.stringify(join(dir, 'state'))}
sources:
  clickstream:
    path: ${JSON.stringify(join(dir, 's', 'clickstream.jsonl'))}
    time: ts
    time_format: iso
    keys: [user_id, session_id]
    lateness: 0s
    columns: { user_id: string, session_id: string, event: string, attributes.page: string, attributes.device: string }
features:
  - name: uw
    source: clickstream
    definition: user_period_features
    params: { period: day, histograms: [{ column: event }, { column: attributes.page }], distinct: [session_id, attributes.device], lags: 2 }
`;
const s = await replay(parseConfig(yaml, { dir }), { store: false });
console.log(s.events, s.tables.map((t) => [t.name, t.rows]), Math.round(s.eventsPerSecond), 'ev/s', s.elapsedMs, 'ms');
