/** Held-out metrics. Probabilities are clipped to [1e-7, 1 − 1e-7] for log-loss. */

const EPS = 1e-7;
const clip = (p: number) => Math.min(1 - EPS, Math.max(EPS, p));

/** Area under the ROC curve (rank statistic; ties get the average rank). NaN without both classes. */
export function auc(y: ArrayLike<number>, p: ArrayLike<number>): number {
  const n = y.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[a]! - p[b]!);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && p[idx[j + 1]!] === p[idx[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (y[idx[k]!] === 1) (pos++, (rankSum += rank));
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function binaryLogLoss(y: ArrayLike<number>, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s -= y[i] === 1 ? Math.log(clip(p[i]!)) : Math.log(1 - clip(p[i]!));
  return s / y.length;
}

export function binaryAccuracy(y: ArrayLike<number>, p: ArrayLike<number>): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) if ((p[i]! >= 0.5 ? 1 : 0) === y[i]) ok++;
  return ok / y.length;
}

/** Multiclass: `probs` is row-major [rows, classes]; `y` holds class indices. */
export function multiLogLoss(y: ArrayLike<number>, probs: ArrayLike<number>, k: number): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s -= Math.log(clip(probs[i * k + y[i]!]!));
  return s / y.length;
}

export function multiAccuracy(y: ArrayLike<number>, probs: ArrayLike<number>, k: number): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[i * k + c]! > probs[i * k + best]!) best = c;
    if (best === y[i]) ok++;
  }
  return ok / y.length;
}

/** Macro one-vs-rest AUC over the classes present in `y` with both sides. */
export function macroAuc(y: ArrayLike<number>, probs: ArrayLike<number>, k: number): number {
  let s = 0;
  let m = 0;
  for (let c = 0; c < k; c++) {
    const yc = Array.from({ length: y.length }, (_, i) => (y[i] === c ? 1 : 0));
    const pc = Array.from({ length: y.length }, (_, i) => probs[i * k + c]!);
    const a = auc(yc, pc);
    if (!Number.isNaN(a)) (s += a), m++;
  }
  return m > 0 ? s / m : NaN;
}

export function rmse(y: ArrayLike<number>, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i]! - p[i]!) ** 2;
  return Math.sqrt(s / y.length);
}
