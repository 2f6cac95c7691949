import { Column, ColumnOptions, ValueTransformer } from 'typeorm';

/** PostgreSQL returns bigint as a string; the domain wants epoch ms as a number. */
const msTransformer: ValueTransformer = {
  to: (value?: number | null) => value,
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
