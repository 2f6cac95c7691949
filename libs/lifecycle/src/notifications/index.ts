export * from './model';
export * from './ports';
export * from './signing';
export * from './publisher';
export * from './deliverer';
