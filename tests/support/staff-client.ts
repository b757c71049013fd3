import type { Kysely } from "kysely";
import { createStaffAccount, type NewStaff } from "../../src/staff/staff-accounts.js";
import type { Database } from "../../src/store/database.js";

// A staff member's browser, for HTTP-level tests of /staff: keeps cookies, reads the CSRF token
// from the last page, follows nothing by itself (redirects are asserted).
export const STAFF_PASSWORD = "kumagawa-river-2026";
// A cheap scrypt cost for tests (OWASP's takes ~0.3 s a hash); test bots use it too (bot-harness.ts),
// so logins neither slow down nor rehash. tests/e2e/staff-login.test.ts checks the real cost.
export const TEST_HASH_COST = { N: 2 ** 10, r: 8, p: 1 };

export async function addStaff(db: Kysely<Database>, staff: Partial<NewStaff> & { loginId: string }): Promise<string> {
  const created = await createStaffAccount(db, { displayName: staff.loginId, department: "商工観光課", role: "staff", ...staff }, STAFF_PASSWORD, { hashCost: TEST_HASH_COST });
  return created.id;
}

export class StaffClient {
  readonly cookies = new Map<string, string>();
  csrf = "";

  constructor(readonly baseUrl: string) {}

  async request(path: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    let body: string | undefined;
    if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method: init.method ?? (init.form ? "POST" : "GET"), headers, body, redirect: "manual" });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const at = pair!.indexOf("=");
      const name = pair!.slice(0, at);
      const value = pair!.slice(at + 1);
      if (value === "" || /Max-Age=0/.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = response.headers.get("content-type")?.includes("text/csv") ? "" : await response.clone().text();
    const token = /name="_csrf" value="([^"]+)"/.exec(text);
    if (token) this.csrf = token[1]!;
    return { status: response.status, location: response.headers.get("location"), text, response };
  }

  async login(loginId: string, password = STAFF_PASSWORD) {
    await this.request("/staff/login");
    return this.request("/staff/login", { form: { _csrf: this.csrf, login_id: loginId, password, next: "/staff/inquiries" } });
  }

  post(path: string, form: Record<string, string>) {
    return this.request(path, { form: { _csrf: this.csrf, ...form } });
  }
}
