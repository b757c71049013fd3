import type { MonthlyQuota } from "./notice-sender.js";

// LINE counts one message per recipient of a multicast or broadcast, whatever the number of
// message objects in the request (https://developers.line.biz/en/docs/messaging-api/pricing/).
// A send that would go past this month's target limit is refused before anything goes out: LINE
// would otherwise reject it part-way (429 "You have reached your monthly limit").
export function quotaRefusal(quota: MonthlyQuota, recipients: number): string | null {
  if (quota.limit === null) return null;
  const left = Math.max(0, quota.limit - quota.used);
  if (recipients <= left) return null;
  const n = (value: number) => value.toLocaleString("ja-JP");
  return (
    `今月の配信数の上限を超えるため、配信できません。上限 ${n(quota.limit)} 通のうち ${n(quota.used)} 通を使っていて、残りは ${n(left)} 通です。` +
    `このお知らせは ${n(recipients)} 人に届くため、${n(recipients - left)} 通足りません。配信先を絞り込むか、来月に配信するか、上限の引き上げを管理者に相談してください。`
  );
}
