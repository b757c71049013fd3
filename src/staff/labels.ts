import type { CaseStatus } from "../store/tables/cases.js";

// Words the console shows for stored codes.
export const STATUS_LABELS: Record<CaseStatus, string> = { new: "新規", in_progress: "対応中", closed: "完了" };

export const CATEGORY_LABELS: Record<string, string> = {
  relocation: "移住相談",
  vacant_house: "空き家バンク物件",
  vacant_house_registration: "空き家の登録",
  human: "職員への取り次ぎ",
};

export const DETAIL_LABELS: Record<string, string> = {
  topic: "ご相談の内容",
  household: "人数",
  residence: "お住まい",
  contact_method: "ご連絡の方法",
  contact: "連絡先",
  phone: "電話番号",
  email: "メールアドレス",
  details: "詳細",
  message: "ご質問・ご希望",
  location: "場所",
  intent: "ご希望",
  listing_code: "物件番号",
};

// Form answers that are personal data: masked when anonymized, and kept out of audit details.
export const PERSONAL_KEYS = ["contact", "phone", "email", "residence", "location", "details", "message"];

export function categoryLabel(category: string): string {
  return CATEGORY_LABELS[category] ?? category;
}
