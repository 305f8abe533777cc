// The shape of data.json, the sandbox's demo companies (written by scripts/sandbox-data.ts).

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

/**
 * A demo company: the recorded books made its own by a scale and a shift of the seasons, so that
 * two companies connected side by side show different figures and charts.
 */
export interface SandboxCompany {
  /** The tenant id a grant names it by. */
  id: string;
  name: string;
  currency: string;
  /** Every recorded value is multiplied by this. */
  scale: number;
  /** Calendar month m shows the recorded month (m + monthShift) mod 12. */
  monthShift: number;
  /** The recorded employees who work here, in the recording's order. */
  employeeIds: string[];
}

export interface SandboxData {
  source: string;
  /** The first is the one a consent ticks unless the person changes it. */
  companies: SandboxCompany[];
  /** Values grow by this much a year (compounded monthly) from `baseYear`, so a chart is not flat. */
  growthPerYear: number;
  baseYear: number;
  lines: SandboxLine[];
  employees: SandboxEmployee[];
}
