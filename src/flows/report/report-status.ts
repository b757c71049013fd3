import type { messagingApi } from "@line/bot-sdk";
import type { ReportTexts } from "../flow-texts.js";
import type { FlowContext } from "../flow.js";
import { japanDate } from "../../japan-time.js";

const SHOWN = 5;

// 「通報の状況」: the resident's own latest reports with the status staff gave them.
export async function reportStatusAnswer(context: FlowContext, texts: ReportTexts): Promise<messagingApi.TextMessage> {
  const reports = await context.trx
    .selectFrom("reports")
    .select(["reference_no", "category", "status", "created_at"])
    .where("user_id", "=", context.userId)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(SHOWN)
    .execute();
  if (reports.length === 0) return { type: "text", text: texts.status.none };
  const lines = reports.map((report) =>
    texts.status.line
      .replace("{reference}", report.reference_no)
      .replace("{date}", japanDate(report.created_at))
      .replace("{category}", report.category)
      .replace("{status}", texts.status.labels[report.status]),
  );
  return { type: "text", text: [texts.status.heading, ...lines].join("\n") };
}
