/**
 * Skewness and kurtosis from n and the central sums M2 = Σ(x - mean)², M3 = Σ(x - mean)³,
 * M4 = Σ(x - mean)⁴, with DuckDB's formulas (`skewness`, `kurtosis`):
 *
 * - skew, the adjusted Fisher-Pearson coefficient G1 = sqrt(n(n-1)) / (n-2) · m3 / m2^1.5,
 *   null below three values;
 * - kurtosis, the sample excess kurtosis G2 = (n-1) / ((n-2)(n-3)) · ((n+1) · m4 / m2² - 3(n-1)),
 *   null below four values;
 *
 * where m_j = M_j / n. Both are null when the values have no spread (m2 = 0), as in DuckDB.
 */
export function skewFrom(n: number, M2: number, M3: number): number | null {
  if (n < 3 || !(M2 > 0)) return null;
  const m2 = M2 / n;
  const m3 = M3 / n;
  return ((Math.sqrt(n * (n - 1)) / (n - 2)) * m3) / Math.pow(m2, 1.5);
}

export function kurtosisFrom(n: number, M2: number, M4: number): number | null {
  if (n < 4 || !(M2 > 0)) return null;
  const m2 = M2 / n;
  const m4 = M4 / n;
  return ((n - 1) * (((n + 1) * m4) / (m2 * m2) - 3 * (n - 1))) / ((n - 2) * (n - 3));
}

/**
 * Central sums from raw power sums of values already shifted by some constant (S_j = Σ x^j over n
 * values): M2 = S2 - S1²/n, M3 = S3 - 3·S1·S2/n + 2·S1³/n², M4 = S4 - 4·S1·S3/n + 6·S1²·S2/n² - 3·S1⁴/n³.
 * Accurate when the shift is near the mean (the sliding kernel re-centres to keep it so).
 */
export function centralFromPowerSums(n: number, s1: number, s2: number, s3: number, s4: number): { M2: number; M3: number; M4: number } {
  const mean = s1 / n;
  const M2 = s2 - s1 * mean;
  const M3 = s3 - 3 * mean * s2 + 2 * mean * mean * s1;
  const M4 = s4 - 4 * mean * s3 + 6 * mean * mean * s2 - 3 * mean * mean * mean * s1;
  return { M2, M3, M4 };
}
