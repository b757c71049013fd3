// Users seen lately (within `forMs`), oldest first: a notice about one of them may arrive a moment
// before or after what it concerns (another process's insert and this one's handling race).
export class RecentUsers {
  readonly #seenAt = new Map<string, number>();

  constructor(
    private readonly forMs = 2_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  add(userId: string): void {
    const now = this.now();
    this.#seenAt.delete(userId);
    this.#seenAt.set(userId, now);
    for (const [oldest, at] of this.#seenAt) {
      if (at >= now - this.forMs) break;
      this.#seenAt.delete(oldest);
    }
  }

  has(userId: string): boolean {
    const at = this.#seenAt.get(userId);
    return at !== undefined && at >= this.now() - this.forMs;
  }

  // Whether the user was seen lately, forgetting them.
  take(userId: string): boolean {
    const seen = this.has(userId);
    this.#seenAt.delete(userId);
    return seen;
  }
}
