export * from './inventory/model';
export * from './inventory/ports';
export * from './inventory/status';
export * from './inventory/names';
export * from './events';
