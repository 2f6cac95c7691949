/** Where in the input a problem is: "dnsNames[2]", "documents[1].spec.lifetime". */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * A managed-certificate request Rotor refuses. `malformed`: not parseable or
 * the wrong shape (400); `rejected`: well-formed but out of policy (422);
 * `not-found` (404); `conflict`: the name is taken or reserved (409).
 * Messages name fields and values of the declaration only, never key material.
 */
export class ManagedError extends Error {
  constructor(
    readonly code: 'malformed' | 'rejected' | 'not-found' | 'conflict',
    readonly detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(
      errors.length ? `${detail}: ${errors.map((e) => `${e.path || '(document)'}: ${e.message}`).join('; ')}` : detail,
    );
    this.name = 'ManagedError';
  }
}
