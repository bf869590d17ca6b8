/** Bad input from the user: reported as one line, exit code 2. */
export class InputError extends Error {}
