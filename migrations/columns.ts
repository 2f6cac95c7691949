import type { TableColumnOptions } from 'typeorm';

/**
 * Column shorthands shared by the migrations. Times are epoch milliseconds
 * (bigint): portable, index-friendly and free of time-zone conversions.
 */
export const col = {
  id: (name = 'id', length = 64): TableColumnOptions => ({
    name,
    type: 'varchar',
    length: String(length),
    isPrimary: true,
  }),
  str: (name: string, length = 64, isNullable = false): TableColumnOptions => ({
    name,
    type: 'varchar',
    length: String(length),
    isNullable,
  }),
  text: (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'text', isNullable }),
  ms: (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable }),
  int: (name: string, fallback = 0): TableColumnOptions => ({ name, type: 'integer', default: fallback }),
  bool: (name: string): TableColumnOptions => ({ name, type: 'boolean', default: false }),
};
