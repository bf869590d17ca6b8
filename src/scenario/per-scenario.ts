/**
 * A value computed once per scenario (scenarios are frozen), for code on the
 * search's hot path: the last scenario's value is kept beside the map, since
 * a search asks for one scenario's value millions of times (a WeakMap lookup
 * per step costs a few percent).
 */
import type { Scenario } from "./scenario.js";

export function perScenario<T>(make: (sc: Scenario) => T): (sc: Scenario) => T {
  const made = new WeakMap<Scenario, T>();
  let last: Scenario | undefined;
  let lastValue: T;
  return (sc) => {
    if (sc === last) return lastValue;
    let v = made.get(sc);
    if (v === undefined && !made.has(sc)) {
      v = make(sc);
      made.set(sc, v);
    }
    last = sc;
    lastValue = v as T;
    return lastValue;
  };
}
