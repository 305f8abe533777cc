// The shape of data.json, the sandbox's demo company (written by scripts/sandbox-data.ts).

export interface SandboxLine {
  title: string;
  report: "profit_and_loss" | "balance_sheet";
  section: string;
  /** The recorded value for each calendar month, January to December. */
  byMonth: number[];
}

export interface SandboxEmployee {
  id: string;
  first_name: string;
  last_name: string;
  job_title: string;
  department: string;
  hire_date: string;
  termination_date: string | null;
  pay: { rate: number; unit: "Year" | "Month" | "Week" | "Hour"; hours_per_week: number };
}

export interface SandboxData {
  source: string;
  company: { name: string; currency: string };
  /** Values grow by this much a year (compounded monthly) from `baseYear`, so a chart is not flat. */
  growthPerYear: number;
  baseYear: number;
  lines: SandboxLine[];
  employees: SandboxEmployee[];
}
