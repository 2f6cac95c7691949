/** Nest injection token for the composition root built in runtime/runtime.ts. */
export const RUNTIME = Symbol('rotor:runtime');
