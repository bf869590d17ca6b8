/** The one memory bound and its watch (runtime/memory.ts). */
import { describe, expect, it } from "vitest";
import { getHeapStatistics } from "node:v8";
import { cgroupLimit, GROWTH_SHARE, memoryBound, MemoryWatch, STOP_SHARE } from "../src/runtime/memory.js";
import { search } from "../src/engine/search.js";
import type { Model, Property } from "../src/engine/model.js";

describe("memory bound", () => {
  it("is the least of the heap limit, the cgroup limit and --max-memory, and says which", () => {
    const heap = getHeapStatistics().heap_size_limit;
    const cg = cgroupLimit();
    const none = memoryBound();
    expect(none.bytes).toBe(Math.min(heap, cg ?? Infinity));
    expect(none.source).toBe(cg !== undefined && cg < heap ? "the cgroup limit" : "the V8 heap limit");
    expect(memoryBound(1)).toEqual({ bytes: 2 ** 20, source: "--max-memory" });
    // A user's bound above the others does not raise it.
    expect(memoryBound(heap / 2 ** 20 + 1)).toEqual(none);
  });

  it("a watch says over once the process holds its share, or an allocation would pass the larger one", () => {
    const rss = process.memoryUsage.rss();
    const roomy = new MemoryWatch(rss * 10, 0);
    expect(roomy.over(0)).toBe(false);
    expect(roomy.stoppedAt).toBeUndefined();
    // What it is about to allocate counts against the growth share.
    expect(roomy.over(1, rss * 10 * GROWTH_SHARE)).toBe(true);
    expect(roomy.stoppedAt!.extra).toBe(rss * 10 * GROWTH_SHARE);
    const tight = new MemoryWatch(rss / STOP_SHARE / 2, 0);
    expect(tight.over(0)).toBe(true);
    expect(tight.peak).toBeGreaterThan(0);
  });

  it("a search under a bound the process already passes stops at once: incomplete, max-memory, with what it explored", () => {
    // A counter that never ends: only a budget stops it.
    const model: Model<number> = {
      actorNames: ["a"],
      encodedWords: 1,
      initialStates: () => [0],
      actions: () => [{ actor: 0, choice: 0 }],
      next: (s) => s + 1,
      encode: (s, out) => ((out[0] = s), 1),
      describe: () => "",
    };
    const never: Property<number> = { name: "never", kind: "invariant", description: "", violations: () => [] };
    const r = search(model, never, { maxMemoryBytes: 2 ** 20, maxMemorySource: "a test" });
    expect(r.verdict).toBe("incomplete");
    expect(r.budget).toBe("max-memory");
    expect(r.memoryBound).toEqual({ bytes: 2 ** 20, source: "a test" });
    expect(r.memoryAtStop!.rss).toBeGreaterThan(2 ** 20 * STOP_SHARE);
    expect(r.states).toBeGreaterThan(0);
  });
});
