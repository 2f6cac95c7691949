export * from './in-process-runner';
export * from './queues';
