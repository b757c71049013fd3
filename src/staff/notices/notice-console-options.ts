import type { MonthlyQuota } from "../../notices/notice-sender.js";
import type { NoticeTemplate } from "../../notices/notice-templates.js";

// What the notice pages need from the running bot.
export interface NoticeConsoleOptions {
  // PUBLIC_BASE_URL: links in notices go through <it>/r/<token> to be counted; null leaves them as written.
  publicBaseUrl: string | null;
  templates: NoticeTemplate[];
  // The account's name as residents see it, for the preview.
  accountName: string;
  // This month's quota and consumption, read from LINE before an approval.
  quota: () => Promise<MonthlyQuota>;
  // Starts the delivery of approved notices now instead of at the next interval.
  wake: () => void;
}
