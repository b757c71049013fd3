import type { messagingApi } from "@line/bot-sdk";
import { formatFigure } from "./kpi-answer.js";

export interface IndicatorRow {
  name: string;
  unit: string;
  policy_no: number;
  policy_name: string;
  baseline_value: string | null;
  target_value: string | null;
  achievement_mark: string | null;
}

// 「KPI一覧」: every policy-level indicator as a Flex carousel, one bubble per policy (施策),
// each row the 令和5年度 actual → 令和9年度 target and the achievement mark.
export function kpiListFlex(indicators: IndicatorRow[]): messagingApi.FlexMessage {
  const policies = [...new Map(indicators.map((indicator) => [indicator.policy_no, indicator.policy_name])).entries()].sort(([a], [b]) => a - b);
  const bubbles: messagingApi.FlexBubble[] = policies.slice(0, 12).map(([policyNo, policyName]) => ({
    type: "bubble",
    size: "mega",
    header: {
      type: "box",
      layout: "vertical",
      backgroundColor: "#06C755",
      paddingAll: "12px",
      contents: [
        { type: "text", text: `施策${policyNo}`, color: "#FFFFFF", size: "sm" },
        { type: "text", text: policyName, color: "#FFFFFF", weight: "bold", size: "md", wrap: true },
      ],
    },
    body: {
      type: "box",
      layout: "vertical",
      spacing: "md",
      contents: indicators
        .filter((indicator) => indicator.policy_no === policyNo)
        .flatMap((indicator, index): messagingApi.FlexComponent[] => [
          ...(index > 0 ? [{ type: "separator" } as messagingApi.FlexSeparator] : []),
          { type: "text", text: indicator.name, weight: "bold", size: "sm", wrap: true },
          {
            type: "text",
            size: "sm",
            wrap: true,
            text: `令和5年度 ${figure(indicator.baseline_value, indicator.unit)} → 令和9年度目標 ${figure(indicator.target_value, indicator.unit)}${indicator.achievement_mark ? `（${indicator.achievement_mark}）` : ""}`,
          },
        ]),
    },
  }));
  return {
    type: "flex",
    altText: `人吉市の成果指標（KPI）一覧：${indicators.length}項目`,
    contents: { type: "carousel", contents: bubbles },
  };
}

function figure(value: string | null, unit: string): string {
  return value === null ? "—" : formatFigure(value, unit);
}
