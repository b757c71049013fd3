// One login page's CSRF pair (cookie and field), reused for many POST /staff/login: parallel
// guesses in tests, each answer read whole (status, headers, body). StaffClient follows one
// browser; this is a script firing attempts.
export interface LoginAnswer {
  status: number;
  text: string;
  headers: Headers;
}

export class LoginForm {
  private constructor(
    readonly baseUrl: string,
    readonly cookie: string,
    readonly token: string,
  ) {}

  static async open(baseUrl: string, headers: Record<string, string> = {}): Promise<LoginForm> {
    const page = await fetch(`${baseUrl}/staff/login`, { headers });
    const cookie = page.headers.getSetCookie().find((value) => value.startsWith("hs_login="))!.split(";")[0]!;
    const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    return new LoginForm(baseUrl, cookie, token);
  }

  async attempt(loginId: string, password: string, headers: Record<string, string> = {}): Promise<LoginAnswer> {
    const body = new URLSearchParams({ _csrf: this.token, login_id: loginId, password, next: "/staff/inquiries" }).toString();
    return this.post(body, { "content-type": "application/x-www-form-urlencoded", ...headers });
  }

  // Any body, with this form's cookie: for malformed requests.
  async post(body: string | undefined, headers: Record<string, string> = {}): Promise<LoginAnswer> {
    const response = await fetch(`${this.baseUrl}/staff/login`, { method: "POST", headers: { cookie: this.cookie, ...headers }, body, redirect: "manual" });
    return { status: response.status, text: await response.text(), headers: response.headers };
  }
}

// What differs between two answers of the same kind: the fresh CSRF token (in the page and its cookie).
export const withoutTokens = (text: string) => text.replace(/name="_csrf" value="[^"]+"/g, 'name="_csrf" value="*"');
export const cookieShape = (headers: Headers) => headers.getSetCookie().map((cookie) => cookie.replace(/^([^=]+)=[^;]*/, "$1=*"));
