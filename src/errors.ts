/** Bad input from the user: reported as one line, exit code 2. */
export class InputError extends Error {
  // The name survives a trip through a worker thread (parallel search), where the class does not.
  override name = "InputError";
}

export function isInputError(e: unknown): e is Error {
  return e instanceof InputError || (e instanceof Error && e.name === "InputError");
}
