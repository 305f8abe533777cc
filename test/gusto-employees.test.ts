// Gusto's data logic: the recorded employees list, and variations of its employees, normalized
// into payroll rows by the rules of Zebbra's original framework.
import { describe, expect, it, vi } from "vitest";
import { ProviderDataError } from "../src/framework/data";
import { normalizeEmployees } from "../src/providers/gusto/employees";
import employees from "./fixtures/gusto/employees.json";

const FROM = "2022-01-01";

const byName = (first: string) => {
  const found = employees.find((e) => e.first_name === first);
  if (!found) throw new Error(`fixture has no ${first}`);
  return found;
};
const isaiah = byName("Isaiah"); // hourly, full time, Sales
const job = isaiah.jobs[0]!;
const comp = job.compensations[0]!;

/** Isaiah, paid `rate` per `unit`, with other employee fields overridden by `extra`. */
function paidBy(unit: string, rate: string, extra: Record<string, unknown> = {}) {
  return { ...isaiah, ...extra, jobs: [{ ...job, compensations: [{ ...comp, payment_unit: unit, rate }] }] };
}

/** Normalizes `list` from FROM, failing the test if anything is warned. */
function rows(list: unknown[], fromDate = FROM) {
  const warn = vi.fn();
  const result = normalizeEmployees(list, fromDate, warn);
  expect(warn).not.toHaveBeenCalled();
  return result;
}

const salaryOf = (list: unknown[]) => rows(list).map((r) => r.monthly_salary);

describe("the recorded employees list", () => {
  it("should turn all 13 employees into rows", () => {
    const result = rows(employees);
    expect(result).toHaveLength(13);
    expect(result.every((r) => r.from_integration === true && r.end_date === null)).toBe(true);
  });

  it("should compute exact rows for hourly and salaried employees", () => {
    const result = rows(employees);
    const row = (name: string) => result.find((r) => r.name === name);
    // Hourly, full time: floor(22.00 × 40) × 4.33, not floored afterwards.
    expect(row("Isaiah Berlin")).toEqual({
      id: "4b1e31f5-7e1e-4f64-a745-e8cdc585319f",

      name: "Isaiah Berlin",
      start_date: "2021-07-12",
      end_date: null,
      title: "Client Support Manager",
      department: "Sales",
      monthly_salary: 880 * 4.33,
      from_integration: true,
    });
    expect(row("Isaiah Berlin")!.monthly_salary).toBeCloseTo(3810.4, 10);
    expect(row("Luetta Bahringer")).toMatchObject({
      title: "Office Administrator",
      department: "Sales",
      monthly_salary: 1480 * 4.33,
    });
    // Yearly: floor(78000 / 12) and floor(70000 / 12).
    expect(row("Patricia Churchland")).toEqual({
      id: "70a65803-532b-42db-b949-c96752c2e634",

      name: "Patricia Churchland",
      start_date: "2021-07-12",
      end_date: null,
      title: "Account Director",
      department: "Sales",
      monthly_salary: 6500,
      from_integration: true,
    });
    expect(row("Soren Kierkegaard")).toMatchObject({
      title: "Client Support Director",
      department: "Marketing",
      monthly_salary: 5833,
    });
    expect(row("Ludwig Wittgenstein")).toMatchObject({ title: "CTO", department: "Engineering", monthly_salary: 9166 });
  });

  it("should give an empty department when Gusto has none", () => {
    const result = rows(employees);
    expect(result.find((r) => r.name === "Maya Angelou")).toEqual({
      id: "95bd554a-fe7b-4710-907f-ad8dd64ca953",

      name: "Maya Angelou",
      start_date: "2022-07-19",
      end_date: null,
      title: "Chief Editor",
      department: "",
      monthly_salary: 7083,
      from_integration: true,
    });
    const { department: _dropped, ...withoutKey } = isaiah;
    expect(rows([withoutKey])[0]?.department).toBe("");
  });
});

describe("terminations", () => {
  it("should drop an employee terminated before from_date", () => {
    expect(rows([{ ...isaiah, terminated: true, terminations: [{ effective_date: "2021-12-31" }] }])).toEqual([]);
  });

  it("should set end_date to the latest termination on or after from_date", () => {
    const terminated = {
      ...isaiah,
      terminated: true,
      terminations: [{ effective_date: "2022-08-31" }, { effective_date: "2021-03-15" }],
    };
    expect(rows([terminated])[0]?.end_date).toBe("2022-08-31");
    const onFromDate = { ...isaiah, terminated: true, terminations: [{ effective_date: FROM }] };
    expect(rows([onFromDate])[0]?.end_date).toBe(FROM);
  });

  it("should skip a terminated employee without terminations", () => {
    expect(rows([{ ...isaiah, terminated: true }])).toEqual([]);
    expect(rows([{ ...isaiah, terminated: true, terminations: null }])).toEqual([]);
  });

  it("should ignore terminations of an employee who is not terminated", () => {
    expect(rows([{ ...isaiah, terminations: [{ effective_date: "2021-12-31" }] }])[0]?.end_date).toBeNull();
  });
});

describe("monthly salary", () => {
  it("should convert every known payment unit", () => {
    expect(salaryOf([paidBy("Year", "78000.00")])).toEqual([6500]);
    expect(salaryOf([paidBy("Month", "4000.75")])).toEqual([4000]);
    expect(salaryOf([paidBy("Week", "1000.50")])).toEqual([4332]);
    expect(salaryOf([paidBy("Hour", "22.57")])).toEqual([902 * 4.33]);
  });

  it("should assume weekly hours from the employment status", () => {
    const hourly = (status: string | null) =>
      salaryOf([paidBy("Hour", "22.57", { current_employment_status: status })])[0];
    expect(hourly("full_time")).toBe(902 * 4.33);
    expect(hourly("part_time_twenty_plus_hours")).toBe(677 * 4.33);
    expect(hourly("part_time_under_twenty_hours")).toBe(451 * 4.33);
    expect(hourly("variable")).toBe(902 * 4.33);
    expect(hourly("seasonal")).toBe(902 * 4.33);
    expect(hourly(null)).toBe(902 * 4.33);
  });

  it("should skip an unknown payment unit with a warning naming only the uuid and unit", () => {
    const warn = vi.fn();
    const result = normalizeEmployees([paidBy("Paycheck", "1234.00"), byName("Patricia")], FROM, warn);
    expect(result.map((r) => r.name)).toEqual(["Patricia Churchland"]);
    expect(warn).toHaveBeenCalledTimes(1);
    const message = String(warn.mock.calls[0]?.[0]);
    expect(message).toContain(isaiah.uuid);
    expect(message).toContain("Paycheck");
    expect(message).not.toMatch(/Isaiah|Berlin|1234/);
  });

  it("should skip an employee whose current compensation is missing", () => {
    expect(rows([{ ...isaiah, jobs: [{ ...job, current_compensation_id: 1 }] }])).toEqual([]);
    expect(rows([{ ...isaiah, jobs: [{ ...job, compensations: [] }] }])).toEqual([]);
  });

  it("should fall back to the compensation uuid when the job has no compensation id", () => {
    const { current_compensation_id: _id, ...jobByUuid } = job;
    expect(salaryOf([{ ...isaiah, jobs: [jobByUuid] }])).toEqual([880 * 4.33]);
  });
});

describe("jobs", () => {
  it("should skip employees with no jobs", () => {
    expect(rows([{ ...isaiah, jobs: [] }])).toEqual([]);
    const { jobs: _jobs, ...withoutJobs } = isaiah;
    expect(rows([withoutJobs])).toEqual([]);
  });

  it("should take the start from the earliest job, title and pay from the most recent", () => {
    const older = {
      ...job,
      id: 1,
      title: "Intern",
      hire_date: "2019-05-01",
      current_compensation_id: 11,
      compensations: [{ ...comp, id: 11, payment_unit: "Year", rate: "12000.00" }],
    };
    const newer = {
      ...job,
      id: 2,
      title: "Lead",
      hire_date: "2022-01-10",
      current_compensation_id: 22,
      compensations: [
        { ...comp, id: 21, payment_unit: "Year", rate: "1.00" },
        { ...comp, id: 22, payment_unit: "Month", rate: "4000.75" },
      ],
    };
    expect(rows([{ ...isaiah, jobs: [newer, older] }])[0]).toMatchObject({
      start_date: "2019-05-01",
      title: "Lead",
      monthly_salary: 4000,
    });
    expect(rows([{ ...isaiah, jobs: [older, newer] }])[0]).toMatchObject({
      start_date: "2019-05-01",
      title: "Lead",
      monthly_salary: 4000,
    });
  });

  it("should break a hire-date tie by the primary job, then by Gusto's order", () => {
    const first = { ...job, title: "First", primary: false };
    const second = { ...job, title: "Second", primary: true };
    expect(rows([{ ...isaiah, jobs: [first, second] }])[0]?.title).toBe("Second");
    expect(rows([{ ...isaiah, jobs: [first, { ...second, primary: false }] }])[0]?.title).toBe("First");
  });
});

describe("input checks", () => {
  it("should throw a ProviderDataError for a body that is not an employees list", () => {
    const { uuid: _uuid, ...withoutUuid } = isaiah;
    const bad: unknown[] = [
      { employees: [] },
      [withoutUuid],
      [paidBy("Hour", "abc")],
      [{ ...isaiah, jobs: [{ ...job, hire_date: "2022-02-30" }] }],
    ];
    for (const body of bad) {
      expect(() => normalizeEmployees(body, FROM, () => {})).toThrow(ProviderDataError);
      expect(() => normalizeEmployees(body, FROM, () => {})).toThrow(/^Gusto: unexpected employees list/);
    }
  });

  it("should reject an invalid from date", () => {
    expect(() => normalizeEmployees(employees, "2022-02-30", () => {})).toThrow(RangeError);
  });
});
