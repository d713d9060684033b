/** Importing files (CSV, JSON lines, Parquet, Arrow IPC) into the event log. */
export { importFile, formatFromPath, type ImportOptions, type ImportReport, type InputFormat } from './importFile.js';
export { CsvParser, parseCsv } from './csv.js';
export { RowBuilder, DEFAULT_IMPORT_BATCH_ROWS, type RowBuilderOptions } from './rowBuilder.js';
