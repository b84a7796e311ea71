/** The row count of one table. */
export interface TableCount {
  schema: string;
  table: string;
  rows: number;
}
