// The inventory's parsing, scanning and use cases (model, ports, status and names are exported beside it).
export * from './errors';
export * from './pem';
export * from './inspect';
export * from './cursor';
export * from './scan';
export * from './usecases/view';
export * from './usecases/query-inventory';
export * from './usecases/import-certificates';
export * from './usecases/record-issued';
export * from './usecases/scan-endpoints';
export * from './query-schema';
