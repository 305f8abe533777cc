// Bodies of the generic provider's API (/generic/<name>/api/...), the placeholder shapes a scaffolded
// provider's adapter is generated for. Callers get fresh copies.

/** `GET /data` items: one accounting line value per month end. */
export interface GenericItem {
  title: string;
  date: string;
  value: number | null;
}

/** `GET /employees` rows, shaped like a typical HR API's employee list. */
export interface GenericEmployee {
  id: string;
  first_name: string;
  last_name: string;
  job_title: string | null;
  department: string | null;
  hire_date: string;
  termination_date: string | null;
  /** Gross yearly salary in the company's currency. */
  annual_salary: number;
}

export const genericData = (): { items: GenericItem[] } => ({
  items: [{ title: "Revenue", date: "2024-01-31", value: 100 }],
});

/** Three employees: one current, one leaving on 2024-06-30, one who left on 2023-05-31. */
export const genericEmployees = (): { employees: GenericEmployee[] } => ({
  employees: [
    {
      id: "emp_1001",
      first_name: "Ada",
      last_name: "Lovelace",
      job_title: "Head of Engineering",
      department: "Engineering",
      hire_date: "2021-03-01",
      termination_date: null,
      annual_salary: 150000,
    },
    {
      id: "emp_1002",
      first_name: "Grace",
      last_name: "Hopper",
      job_title: "Payroll Specialist",
      department: null,
      hire_date: "2022-09-15",
      termination_date: "2024-06-30",
      annual_salary: 72000,
    },
    {
      id: "emp_1003",
      first_name: "Alan",
      last_name: "Turing",
      job_title: "Financial Analyst",
      department: "Finance",
      hire_date: "2020-01-06",
      termination_date: "2023-05-31",
      annual_salary: 66500,
    },
  ],
});
