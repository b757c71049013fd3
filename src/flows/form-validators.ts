// The checked answers of a form (FormField kinds "phone" and "email"): what a resident typed,
// normalised, or null when it is not one. Pure.

// Japanese phone numbers: 10 digits (landline) or 11 (mobile, IP), starting with 0.
export function validPhone(text: string): string | null {
  const digits = text.normalize("NFKC").replace(/[\s\-‐－ー()（）]/g, "");
  return /^0\d{9,10}$/.test(digits) ? digits : null;
}

export function validEmail(text: string): string | null {
  const email = text.normalize("NFKC").trim();
  return email.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? email : null;
}
