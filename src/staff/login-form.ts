import express, { type RequestHandler } from "express";
import { z } from "zod";

// The login form as it arrives: anything else (no body, JSON, another content type, a field sent
// twice, too long, a NUL that Postgres cannot store) is refused with a message for the person at
// the keyboard, never passed on.
const NOT_THE_FORM = "ログイン画面のフォームから送信してください。";
const MISSING = "職員IDとパスワードを入力してください。";
const TOO_LONG = "職員IDは100文字まで、パスワードは1,000文字までで入力してください。";
const BAD_CHARACTER = "職員IDまたはパスワードに使えない文字が含まれています。入力し直してください。";
export const UNREADABLE = "送信された内容を読み取れませんでした。ログイン画面から入力し直してください。";

const noNul = (value: string) => !value.includes("\0");
const field = (max: number) => z.string({ error: (issue) => (issue.input === undefined ? MISSING : NOT_THE_FORM) }).max(max, TOO_LONG).refine(noNul, BAD_CHARACTER);

const loginFormSchema = z.object(
  {
    _csrf: z.string({ error: NOT_THE_FORM }).max(200, NOT_THE_FORM).optional(),
    next: z.string({ error: NOT_THE_FORM }).max(2000, NOT_THE_FORM).optional(),
    login_id: field(100).transform((value) => value.trim()).refine((value) => value !== "", MISSING),
    password: field(1000).refine((value) => value !== "", MISSING),
  },
  { error: NOT_THE_FORM },
);

export type LoginForm = z.infer<typeof loginFormSchema>;

export function readLoginForm(body: unknown): { ok: true; form: LoginForm } | { ok: false; message: string } {
  const parsed = loginFormSchema.safeParse(body);
  return parsed.success ? { ok: true, form: parsed.data } : { ok: false, message: parsed.error.issues[0]?.message ?? NOT_THE_FORM };
}

// express's form parser, with what it refuses (too large, an unknown charset or encoding, a broken
// stream) handed to `refuse` instead of the app's 500 handler.
export function loginFormParser(refuse: (req: express.Request, res: express.Response) => void): RequestHandler {
  const parse = express.urlencoded({ extended: false, limit: "16kb", parameterLimit: 20 });
  return (req, res, next) => {
    parse(req, res, (error?: unknown) => {
      if (error) refuse(req, res);
      else next();
    });
  };
}
