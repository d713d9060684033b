import { useBackend, tf } from './src/sdk/training/index.js';
await useBackend('wasm');
console.log(tf.getBackend(), tf.tensor2d(new Float32Array([1,2,3,4]), [2,2]).matMul(tf.eye(2)).dataSync());
