import { z } from "zod";

// Schemas of the city's seed files. Strict objects: a misspelt key in a clerk's edit is an error
// naming the file and the entry, not a silently ignored field.

const fiscalYear = z.number().int().min(2000).max(2100);
const nonNegative = z.number().nonnegative();

export const kpiValueSchema = z.strictObject({
  fy: fiscalYear,
  kind: z.enum(["actual", "target"]),
  value: z.number(),
  source: z.string().min(1),
});

export const kpiIndicatorSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z][a-z0-9_]*$/, "use lower_snake_case ascii"),
    name: z.string().min(1),
    aliases: z.array(z.string().min(1)).default([]),
    unit: z.string().min(1),
    policy: z.strictObject({ no: z.number().int().min(1), name: z.string().min(1) }),
    level: z.enum(["policy", "project"]),
    baseline: z.number().optional(),
    mark: z.enum(["◎", "○", "△", "×"]).optional(),
    target: z.number().optional(),
    departments: z.array(z.string().min(1)).min(1),
    live_source: z.enum(["relocation_inquiries", "vacant_house_contracts", "line_friends", "line_procedures"]).optional(),
    note: z.string().optional(),
    values: z.array(kpiValueSchema).default([]),
  })
  .superRefine((indicator, ctx) => {
    if (indicator.level === "policy" && (indicator.baseline === undefined || indicator.mark === undefined || indicator.target === undefined)) {
      ctx.addIssue({ code: "custom", message: "a policy-level indicator needs baseline, mark and target (its KPI table row)" });
    }
    const seen = new Set<string>();
    for (const value of indicator.values) {
      const key = `${value.fy}/${value.kind}/${value.source}`;
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["values"], message: `two figures for ${key}` });
      seen.add(key);
    }
  });

export const kpiFileSchema = z.strictObject({ indicators: z.array(kpiIndicatorSchema).min(1) });

export const listingSchema = z.strictObject({
  code: z.string().min(1),
  title: z.string().min(1),
  area: z.string().min(1),
  address: z.string().optional(),
  deal_type: z.enum(["rent", "sale"]),
  price_yen: z.number().int().positive(),
  layout: z.string().optional(),
  floor_area_sqm: nonNegative.optional(),
  land_area_sqm: nonNegative.optional(),
  built_year: z.number().int().min(1800).max(2100).optional(),
  description: z.string().optional(),
  photo_url: z.url().optional(),
  status: z.enum(["draft", "published", "unpublished", "contracted"]).default("published"),
  contracted_at: z.union([z.iso.date(), z.date().transform((date) => date.toISOString().slice(0, 10))]).optional(),
});

export const listingsFileSchema = z.strictObject({ listings: z.array(listingSchema) });

export const surveyQuestionSchema = z
  .strictObject({
    kind: z.enum(["single", "multiple", "scale", "text"]),
    prompt: z.string().min(1),
    options: z.array(z.string().min(1)).default([]),
    required: z.boolean().default(true),
  })
  .refine((question) => question.kind === "text" || question.options.length >= 2, "a choice or scale question needs at least two options");

export const surveySchema = z.strictObject({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "use lower-case ascii and hyphens"),
  title: z.string().min(1),
  description: z.string().optional(),
  department: z.string().optional(),
  status: z.enum(["draft", "open", "closed"]).default("draft"),
  audience: z.enum(["all", "link"]).default("all"),
  questions: z.array(surveyQuestionSchema).min(1),
});

// A ひとよし未来カフェ session. starts_at carries its offset (2027-01-23T14:00:00+09:00) so
// the time is never read in the server's own time zone.
export const futureCafeSessionSchema = z.strictObject({
  code: z.string().regex(/^[A-Za-z0-9-]{1,40}$/, "use ascii letters, digits and hyphens"),
  town: z.string().min(1),
  starts_at: z.union([z.iso.datetime({ offset: true }), z.date().transform((date) => date.toISOString())]),
  place: z.string().min(1),
  capacity: z.number().int().positive().optional(),
  status: z.enum(["scheduled", "cancelled"]).default("scheduled"),
  note: z.string().optional(),
});

export const futureCafeFileSchema = z.strictObject({ sessions: z.array(futureCafeSessionSchema) });

export type FutureCafeSessionSeed = z.infer<typeof futureCafeSessionSchema>;
export type KpiIndicatorSeed = z.infer<typeof kpiIndicatorSchema>;
export type ListingSeed = z.infer<typeof listingSchema>;
export type SurveySeed = z.infer<typeof surveySchema>;

export interface CitySeeds {
  indicators: KpiIndicatorSeed[];
  listings: ListingSeed[];
  surveys: SurveySeed[];
  futureCafeSessions: FutureCafeSessionSeed[];
}
