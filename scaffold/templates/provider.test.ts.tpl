// {{Name}} ({{type}}, scaffolded): its own logic, the parts to rewrite for {{Name}}'s real API: the
// tenant lookup, against the fake's generic provider (test/fake/, /generic/{{slug}}/api), and
// normalize{{Name}}, on the placeholder response that fake serves. Connecting, refreshing and reading
// data through the worker are checked for every provider by test/provider-contract.test.ts. Once
// {{Name}}'s real endpoints replace the placeholders, give the fake their shapes too
// (docs/adding-a-provider.md).
import { describe, expect, it } from "vitest";
import { ProviderDataError } from "../src/framework/data";
import { createProviderApi } from "../src/framework/provider-http";
import provider from "../src/providers/{{slug}}";
import { normalize{{Name}} } from "../src/providers/{{slug}}/normalize";
import { createGrant, providerUrls } from "./fake-client";

describe("{{Name}}", () => {
  it("should find the tenant the grant covers", async () => {
    const grant = await createGrant({ provider: "generic:{{slug}}" });
    const api = createProviderApi(providerUrls("generic:{{slug}}").apiBaseUrl, grant.access_token);
    expect(await provider.lookupTenants(api)).toEqual([{ tenantId: grant.tenantIds[0] }]);
  });

{{#accounting}}
  // Every title gets every month: null where the response had no value for it.
  it("should read each item as its month's value, from fromDate's month on", () => {
    const body = {
      items: [
        { title: "Revenue", date: "2023-12-31", value: 90 },
        { title: "Revenue", date: "2024-01-31", value: 100 },
        { title: "Costs", date: "2024-02-29", value: null },
      ],
    };
    expect(normalize{{Name}}(body, "2024-01-01")).toEqual({
      dates: ["2024-01-31", "2024-02-29"],
      data: {
        Revenue: { "2024-01-31": 100, "2024-02-29": null },
        Costs: { "2024-01-31": null, "2024-02-29": null },
      },
    });
  });

  it("should refuse a title that repeats in one month", () => {
    const item = { title: "Revenue", date: "2024-01-31", value: 100 };
    expect(() => normalize{{Name}}({ items: [item, { ...item, value: 5 }] }, "2024-01-01")).toThrow(ProviderDataError);
  });
{{/accounting}}
{{#payroll}}
  it("should read one row per employee, leaving out those who left before fromDate", () => {
    const employee = {
      id: "emp_1",
      first_name: "Ada",
      last_name: "Lovelace",
      job_title: "Head of Engineering",
      department: null,
      hire_date: "2021-03-01",
      termination_date: null,
      annual_salary: 150001,
    };
    const left = { ...employee, id: "emp_2", termination_date: "2023-05-31" };
    expect(normalize{{Name}}({ employees: [employee, left] }, "2024-01-01")).toEqual([
      {
        id: "emp_1",
        name: "Ada Lovelace",
        start_date: "2021-03-01",
        end_date: null,
        title: "Head of Engineering",
        department: "",
        monthly_salary: 12500,
        from_integration: true,
      },
    ]);
  });
{{/payroll}}

  it("should refuse a response it cannot read", () => {
    expect(() => normalize{{Name}}({ unexpected: true }, "2024-01-01")).toThrow(ProviderDataError);
  });
});
