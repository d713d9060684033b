import { readSet } from './src/sdk/training/index.js';
import { syntheticSet } from './test/sdk/training/synthetic.js';
const t = syntheticSet({ rows: 20, nullLabelTail: 3 });
console.log(t.getChild('ts')!.data[0]!.values.constructor.name, t.getChild('ts')!.get(1));
const s = readSet(t);
console.log(s.time.slice(0, 3), s.label.slice(15));
