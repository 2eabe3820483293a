/**
 * Remembers where each value was first seen, per kind (name, MAC, address...),
 * so validators can report a duplicate together with the entry it repeats.
 */
export class FirstSeen {
  private readonly seen = new Map<string, Map<string, number>>();

  /** The index where `value` of `kind` was seen before, or undefined (and records `index`). */
  before(kind: string, value: string, index: number): number | undefined {
    const byValue = this.seen.get(kind) ?? new Map<string, number>();
    this.seen.set(kind, byValue);
    const earlier = byValue.get(value);
    if (earlier === undefined) byValue.set(value, index);
    return earlier;
  }
}
