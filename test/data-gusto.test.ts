// The Gusto adapter through the data API: the recorded employees, terminations and every salary
// unit, against the fake Gusto API. Its paging: test/paging.test.ts.
import { describe, expect, it } from "vitest";
import type { EmployeeRow } from "../src/framework/data";
import { setGustoEmployees, tenantRequests } from "./fake-client";
import employees from "./fixtures/gusto/employees.json";
import { getData, seedConnection } from "./helpers";

type Row = EmployeeRow;

type Employee = (typeof employees)[number];

/** A fixture employee with another identity, employment status and pay. */
function variant(
  base: Employee,
  i: number,
  changes: { status?: string; unit?: string; rate?: string; terminated?: { on: string } | "without terminations" } = {},
) {
  const job = base.jobs[0]!;
  const compensation = {
    ...job.compensations[0]!,
    payment_unit: changes.unit ?? job.payment_unit,
    rate: changes.rate ?? job.rate,
  };
  return {
    ...base,
    uuid: `emp-${i}`,
    first_name: `First${i}`,
    last_name: `Last${i}`,
    current_employment_status: changes.status ?? base.current_employment_status,
    terminated: changes.terminated !== undefined,
    terminations:
      changes.terminated && changes.terminated !== "without terminations"
        ? [{ effective_date: changes.terminated.on }]
        : [],
    jobs: [{ ...job, payment_unit: compensation.payment_unit, rate: compensation.rate, compensations: [compensation] }],
  };
}

async function connectGusto(ws: string) {
  const grant = await seedConnection(ws, "gusto");
  return grant.tenantIds[0]!;
}

describe("Gusto data", () => {
  it("should turn the recorded employees into the payroll rows of Zebbra's original framework", async () => {
    await connectGusto("ws-fixture");
    const res = await getData("ws-fixture", "Gusto", "2021-01-01");
    expect(res.status).toBe(200);
    const body = await res.json<{ fetched_at: string; employees: Row[] }>();
    expect(body.employees).toHaveLength(13);
    const byName = new Map(body.employees.map((e) => [e.name, e]));
    expect(byName.get("Isaiah Berlin")).toEqual({
      id: "4b1e31f5-7e1e-4f64-a745-e8cdc585319f",

      name: "Isaiah Berlin",
      start_date: "2021-07-12",
      end_date: null,
      title: "Client Support Manager",
      department: "Sales",
      monthly_salary: 880 * 4.33, // Hour: floor(22.00 × 40) × 4.33, not floored again
      from_integration: true,
    });
    expect(byName.get("Patricia Churchland")?.monthly_salary).toBe(6500); // Year: floor(78000 / 12)
    expect(byName.get("Luetta Bahringer")?.monthly_salary).toBe(1480 * 4.33);
    expect(byName.get("Maya Angelou")).toMatchObject({
      department: "",
      start_date: "2022-07-19",
      monthly_salary: 7083,
    });
  });

  it("should compute salaries for every unit and employment status, skipping unknown units", async () => {
    const company = await connectGusto("ws-units");
    const hourly = employees[0]!;
    await setGustoEmployees(company, [
      variant(hourly, 1, { unit: "Year", rate: "60001.00" }),
      variant(hourly, 2, { unit: "Month", rate: "5000.75" }),
      variant(hourly, 3, { unit: "Week", rate: "1000.50" }),
      variant(hourly, 4, { unit: "Hour", rate: "20.50", status: "full_time" }),
      variant(hourly, 5, { unit: "Hour", rate: "20.50", status: "part_time_twenty_plus_hours" }),
      variant(hourly, 6, { unit: "Hour", rate: "20.50", status: "part_time_under_twenty_hours" }),
      variant(hourly, 7, { unit: "Hour", rate: "20.50", status: "variable" }),
      variant(hourly, 8, { unit: "Paycheck", rate: "100.00" }),
    ]);
    const body = await (await getData("ws-units", "Gusto", "2021-01-01")).json<{ employees: Row[] }>();
    expect(body.employees.map((e) => [e.name, e.monthly_salary])).toEqual([
      ["First1 Last1", 5000],
      ["First2 Last2", 5000],
      ["First3 Last3", Math.floor(1000.5 * 4.33)],
      ["First4 Last4", 820 * 4.33],
      ["First5 Last5", 615 * 4.33],
      ["First6 Last6", 410 * 4.33],
      ["First7 Last7", 820 * 4.33],
    ]);
  });

  it("should keep terminated employees with their end date and drop those who left before from_date", async () => {
    const company = await connectGusto("ws-terminated");
    await setGustoEmployees(company, [
      variant(employees[1]!, 1, { terminated: { on: "2022-06-30" } }),
      variant(employees[1]!, 2, { terminated: { on: "2021-03-31" } }),
      variant(employees[1]!, 3, { terminated: "without terminations" }),
      variant(employees[1]!, 4),
      variant(employees[1]!, 5, { terminated: { on: "2022-01-20" } }),
    ]);
    const body = await (await getData("ws-terminated", "Gusto", "2022-01-10")).json<{ employees: Row[] }>();
    expect(body.employees.map((e) => [e.name, e.end_date])).toEqual([
      ["First1 Last1", "2022-06-30"],
      ["First4 Last4", null],
      ["First5 Last5", "2022-01-20"],
    ]);
    // Same cache key (2022-01-31), later from_date: served from cache, filtered for the request.
    const later = await (await getData("ws-terminated", "Gusto", "2022-02-01")).json<{ employees: Row[] }>();
    expect(later.employees.map((e) => e.name)).toEqual(["First1 Last1", "First4 Last4"]);
    expect((await tenantRequests(company)).length).toBe(1);
  });
});
