export * from './queue';
export * from './queues';
export * from './backoff';
export * from './logger';
export * from './in-process-queue';
export * from './bullmq-queue';
