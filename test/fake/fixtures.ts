// Recorded provider responses from test/fixtures, loaded once. Callers get deep copies.
import { readFileSync } from "node:fs";

const load = (path: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), "utf8"));

const profitAndLoss = load("xero/profit-and-loss-2021-05-to-2022-03.json");
const balanceSheet = load("xero/balance-sheet-2021-06-to-2022-05.json");
const employees = load("gusto/employees.json");
const quickBooks = {
  ProfitAndLoss: load("quickbooks/profit-and-loss-2024-01-to-2024-06.json"),
  BalanceSheet: load("quickbooks/balance-sheet-2024-01-to-2024-06.json"),
};

export const fixtures = {
  profitAndLoss: (): XeroReportResponse => structuredClone(profitAndLoss) as XeroReportResponse,
  balanceSheet: (): XeroReportResponse => structuredClone(balanceSheet) as XeroReportResponse,
  employees: (): unknown[] => structuredClone(employees) as unknown[],
  /** The QuickBooks fixtures (recorded shape, synthetic values), Jan–Jun 2024 by month. */
  quickBooks: (type: keyof typeof quickBooks): QuickBooksReport =>
    structuredClone(quickBooks[type]) as QuickBooksReport,
};

export interface XeroCell {
  Value: string;
  Attributes?: { Value: string; Id: string }[];
}
export interface XeroRow {
  RowType: "Header" | "Section" | "Row" | "SummaryRow";
  Title?: string;
  Cells?: XeroCell[];
  Rows?: XeroRow[];
}
export interface XeroReport {
  ReportID: string;
  ReportName: string;
  ReportType: string;
  ReportTitles: string[];
  ReportDate: string;
  UpdatedDateUTC: string;
  Fields: unknown[];
  Rows: XeroRow[];
}
export interface XeroReportResponse {
  Id: string;
  Status: string;
  ProviderName: string;
  DateTimeUTC: string;
  Reports: XeroReport[];
}

export interface QuickBooksCell {
  value: string;
  id?: string;
}
/** A Section (Header, Rows, Summary; group-only summaries have just Summary) or a Data row (ColData). */
export interface QuickBooksRow {
  type: "Section" | "Data";
  group?: string;
  ColData?: QuickBooksCell[];
  Header?: { ColData: QuickBooksCell[] };
  Rows?: { Row: QuickBooksRow[] };
  Summary?: { ColData: QuickBooksCell[] };
}
export interface QuickBooksColumn {
  ColTitle: string;
  ColType: string;
  MetaData?: { Name: string; Value: string }[];
}
export interface QuickBooksReport {
  Header: Record<string, unknown>;
  Columns: { Column: QuickBooksColumn[] };
  Rows: { Row?: QuickBooksRow[] };
}
