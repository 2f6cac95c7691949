/** The logging the queues need (a pino logger fits). */
export interface JobLogger {
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
