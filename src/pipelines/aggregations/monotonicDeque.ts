/**
 * Positions of a window's candidates for its minimum (or maximum): each newer value evicts the older
 * ones it beats, so the front is always the extreme of the window. O(1) amortised per event.
 */
export class MonotonicDeque {
  private buf = new Float64Array(8);
  private head = 0;
  private tail = 0;

  get isEmpty(): boolean {
    return this.head === this.tail;
  }

  /** Logical position of the current extreme. */
  front(): number {
    return this.buf[this.head & (this.buf.length - 1)]!;
  }

  /**
   * Add position `pos` holding `value`. `ring` is the power-of-two ring the positions index into
   * (position p is at `ring[p & (ring.length - 1)]`). `max` keeps maxima instead of minima.
   */
  push(pos: number, value: number, ring: Float64Array, max: boolean): void {
    const mask = this.buf.length - 1;
    const ringMask = ring.length - 1;
    while (this.tail > this.head) {
      const back = ring[this.buf[(this.tail - 1) & mask]! & ringMask]!;
      if (max ? back <= value : back >= value) this.tail--;
      else break;
    }
    if (this.tail - this.head === this.buf.length) this.grow();
    this.buf[this.tail & (this.buf.length - 1)] = pos;
    this.tail++;
  }

  /** Drop candidates at positions before `pos` (they left the window). */
  evictBefore(pos: number): void {
    const mask = this.buf.length - 1;
    while (this.tail > this.head && this.buf[this.head & mask]! < pos) this.head++;
  }

  private grow(): void {
    const old = this.buf;
    const mask = old.length - 1;
    const next = new Float64Array(old.length * 2);
    for (let i = this.head; i < this.tail; i++) next[i - this.head] = old[i & mask]!;
    this.tail -= this.head;
    this.head = 0;
    this.buf = next;
  }
}
