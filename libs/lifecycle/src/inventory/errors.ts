/**
 * Input the inventory refuses. `malformed`: not PEM, bad base64, not X.509,
 * an unusable cursor or endpoint. `rejected`: well-formed but not acceptable
 * (a private key or CSR where certificates belong, too many certificates).
 * Messages describe the problem and never quote the input, so key material
 * pasted by mistake is never echoed back.
 */
export class InventoryInputError extends Error {
  constructor(
    readonly code: 'malformed' | 'rejected',
    message: string,
  ) {
    super(message);
    this.name = 'InventoryInputError';
  }
}
