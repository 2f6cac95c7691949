export { bootstrapServer } from './bootstrap';
export type { RunningServer } from './bootstrap';
