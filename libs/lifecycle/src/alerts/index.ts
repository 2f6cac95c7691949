export * from './model';
export * from './ports';
export * from './rules';
export * from './sweep';
export * from './display-name';
