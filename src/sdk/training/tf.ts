import * as tf from '@tensorflow/tfjs';

export { tf };

/** Which TF.js backend trains: `cpu` keeps Arrow buffers as tensor data (no copy); `wasm` copies them but is faster on big batches. */
export type TrainingBackend = 'cpu' | 'wasm';

/**
 * Select and initialise a TF.js backend. Sets TF.js's production mode, which turns off its debug
 * checks and its console note about tfjs-node (which cannot be installed here).
 *
 * @example
 * const tf = await useBackend('cpu');
 */
export async function useBackend(backend: TrainingBackend = 'cpu'): Promise<typeof tf> {
  tf.env().set('PROD', true);
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (tf.getBackend() !== backend) {
    const ok = await tf.setBackend(backend);
    if (!ok) throw new Error(`TF.js backend "${backend}" could not be initialised`);
  }
  await tf.ready();
  return tf;
}
