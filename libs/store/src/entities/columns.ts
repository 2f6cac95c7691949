import { Column, ColumnOptions, ValueTransformer } from 'typeorm';

/**
 * Epoch milliseconds. PostgreSQL returns bigint as a string; the domain wants a
 * number. Values go to the driver as strings because TypeORM's SQLite driver
 * writes numbers into the SQL text, which gives every statement unique text and
 * defeats the prepared-statement cache; strings are bound as parameters (and
 * SQLite's INTEGER affinity stores them as integers).
 */
export const msParam = (value: number): string => String(Math.trunc(value));

const msTransformer: ValueTransformer = {
  to: (value?: number | null) => (typeof value === 'number' ? msParam(value) : value),
  from: (value?: string | number | null) => (value === null || value === undefined ? undefined : Number(value)),
};

export const MsColumn = (name: string, options: ColumnOptions = {}) =>
  Column({ name, type: 'bigint', transformer: msTransformer, ...options });

/** JSON stored as text; repositories (de)serialise it explicitly with toJson/fromJson. */
export const JsonColumn = (name: string, options: ColumnOptions = {}) => Column({ name, type: 'text', ...options });

export const toJson = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
export const fromJson = <T>(value: string | null | undefined): T | undefined =>
  value === null || value === undefined ? undefined : (JSON.parse(value) as T);

export const StrColumn = (name: string, options: ColumnOptions = {}) => Column({ name, type: 'varchar', ...options });
