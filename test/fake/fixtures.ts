// Recorded provider responses from test/fixtures, loaded once. Callers get deep copies.
import { readFileSync } from "node:fs";

const load = (path: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), "utf8"));

const profitAndLoss = load("xero/profit-and-loss-2021-05-to-2022-03.json");
const balanceSheet = load("xero/balance-sheet-2021-06-to-2022-05.json");
const employees = load("gusto/employees.json");

export const fixtures = {
  profitAndLoss: (): XeroReportResponse => structuredClone(profitAndLoss) as XeroReportResponse,
  balanceSheet: (): XeroReportResponse => structuredClone(balanceSheet) as XeroReportResponse,
  employees: (): unknown[] => structuredClone(employees) as unknown[],
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
