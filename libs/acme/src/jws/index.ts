export * from './algorithms';
export * from './external-account-binding';
export * from './flattened-jws';
export * from './keys';
export * from './signature';
export * from './verify-request';
