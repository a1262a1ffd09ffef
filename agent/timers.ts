/** Named timers that die with the agent: setting one replaces the previous timer of that name. */
export class Timers {
  private readonly map = new Map<string, NodeJS.Timeout>();

  set(name: string, ms: number, fn: () => void): void {
    this.clear(name);
    const t = setTimeout(() => {
      this.map.delete(name);
      fn();
    }, ms);
    t.unref?.();
    this.map.set(name, t);
  }

  clear(name: string): void {
    const t = this.map.get(name);
    if (t) clearTimeout(t);
    this.map.delete(name);
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  clearAll(): void {
    for (const t of this.map.values()) clearTimeout(t);
    this.map.clear();
  }
}
