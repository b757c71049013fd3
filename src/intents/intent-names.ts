// The intent names, exactly: the staff console's filters and the `classify` command use them.
export const INTENTS = [
  "relocation",
  "vacant_house",
  "kpi",
  "survey",
  "report",
  "certificate",
  "furusato_nozei",
  "future_cafe",
  "profile",
  "human",
  "greeting",
  "help",
  "unknown",
] as const;

export type IntentName = (typeof INTENTS)[number];
