// Paging that follows the provider's page count, never a short page. Gusto against the fake Gusto
// API, which serves at most 50 employees a page whatever `per` asks (Gusto documents no largest
// `per`): the list ends at X-Total-Pages, or at an empty page without it, within the 100-page cap.
// And the sandbox's employees API, which serves at most 10 a page.
import { describe, expect, it } from "vitest";
import { employeesPage, LARGEST_EMPLOYEES_PAGE } from "../src/edge/sandbox/company";
import data from "../src/edge/sandbox/data.json";
import type { EmployeeRow } from "../src/framework/data";
import { createGrant, fakeUrl, grantRequests, setGustoEmployees, setGustoPaging } from "./fake-client";
import employees from "./fixtures/gusto/employees.json";
import { errorOf, getData, seedConnection } from "./helpers";

/** `n` employees who each make a payroll row: a salaried one of the fixture, renamed. */
const staff = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    ...employees[1]!,
    uuid: `emp-${i}`,
    first_name: `First${i}`,
    last_name: `Last${i}`,
  }));

/** A Gusto connection in `ws` whose company has `count` employees; returns its grant and company. */
async function gustoWith(ws: string, count: number) {
  const grant = await seedConnection(ws, "gusto");
  const company = grant.tenantIds[0]!;
  await setGustoEmployees(company, staff(count));
  return { grant, company };
}

/** The adapter's employees requests as [page, per] pairs. */
const pagesAsked = async (grantId: string) =>
  (await grantRequests(grantId)).filter((r) => r.path.endsWith("/employees")).map((r) => [r.query.page, r.query.per]);

/** The reading before issue 27: pages of 100 until one holds fewer than 100. */
async function readUntilShortPage(company: string, accessToken: string): Promise<unknown[]> {
  const list: unknown[] = [];
  for (let page = 1; ; page++) {
    const res = await fetch(fakeUrl(`/gusto/api/v1/companies/${company}/employees?page=${page}&per=100`), {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    const rows = await res.json<unknown[]>();
    list.push(...rows);
    if (rows.length < 100) return list;
  }
}

describe("Gusto paging", () => {
  it("should read every employee when a page holds fewer than asked, where a short page lost them", async () => {
    const { grant, company } = await gustoWith("ws-fewer-than-asked", 130);
    const reader = await createGrant({ provider: "gusto", tenantIds: [company] });
    expect(await readUntilShortPage(company, reader.access_token)).toHaveLength(50);

    const res = await getData("ws-fewer-than-asked", "Gusto", "2021-01-01");
    expect(res.status).toBe(200);
    expect((await res.json<{ employees: EmployeeRow[] }>()).employees).toHaveLength(130);
    // X-Total-Pages says 3: no fourth, empty page is asked for.
    expect(await pagesAsked(grant.grantId)).toEqual([
      ["1", "100"],
      ["2", "100"],
      ["3", "100"],
    ]);
  });

  it("should read until an empty page when Gusto sends no X-Total-Pages", async () => {
    const { grant, company } = await gustoWith("ws-no-total-pages", 120);
    await setGustoPaging(company, { totalPagesHeader: false });
    const res = await getData("ws-no-total-pages", "Gusto", "2021-01-01");
    expect(res.status).toBe(200);
    expect((await res.json<{ employees: EmployeeRow[] }>()).employees).toHaveLength(120);
    expect((await pagesAsked(grant.grantId)).map(([page]) => page)).toEqual(["1", "2", "3", "4"]);
  });

  it("should refuse a company whose X-Total-Pages is past the 100-page cap, after one page", async () => {
    const { grant, company } = await gustoWith("ws-pages-past-cap", 101);
    await setGustoPaging(company, { largestPage: 1 });
    const res = await getData("ws-pages-past-cap", "Gusto", "2021-01-01");
    expect(res.status).toBe(502);
    expect(await errorOf(res)).toMatchObject({
      code: "provider_data_invalid",
      message: expect.stringMatching(/101 pages of employees, more than 100/) as string,
    });
    expect(await pagesAsked(grant.grantId)).toHaveLength(1);
  });

  it("should stop at 100 pages when no X-Total-Pages and no empty page ends the list", async () => {
    const { grant, company } = await gustoWith("ws-pages-endless", 101);
    await setGustoPaging(company, { largestPage: 1, totalPagesHeader: false });
    const res = await getData("ws-pages-endless", "Gusto", "2021-01-01");
    expect(res.status).toBe(502);
    expect(await errorOf(res)).toMatchObject({
      code: "provider_data_invalid",
      message: expect.stringMatching(/more than 100 pages/) as string,
    });
    expect(await pagesAsked(grant.grantId)).toHaveLength(100);
  });
});

describe("the sandbox's employees API", () => {
  it("should serve at most 10 a page whatever per_page asks, and count pages of the size served", async () => {
    const first = await employeesPage(1, 25);
    expect(first.employees).toHaveLength(LARGEST_EMPLOYEES_PAGE);
    expect(first).toMatchObject({
      page: 1,
      per_page: LARGEST_EMPLOYEES_PAGE,
      total_pages: Math.ceil(data.employees.length / LARGEST_EMPLOYEES_PAGE),
    });
    const last = await employeesPage(first.total_pages, 25);
    expect(last.employees).toHaveLength(data.employees.length - LARGEST_EMPLOYEES_PAGE * (first.total_pages - 1));
    expect((await employeesPage(1, 5)).per_page).toBe(5);
  });
});
