import express, { type Request, type Response, type Router } from "express";
import type { Kysely } from "kysely";
import type { Database } from "../../store/database.js";
import type { ListingStatus } from "../../store/tables/listings.js";
import { audit } from "../audit.js";
import { html } from "../html.js";
import { historyOf } from "../cases/case-queries.js";
import { page } from "../layout.js";
import { emptyInput, FORM_FIELDS, formInput, inputFromListing, parseListingForm, type FormErrors, type ListingFormInput } from "./listing-form.js";
import { listingPhotoRoutes } from "./listing-photos.js";
import {
  areaChoices,
  changeStatus,
  codeTaken,
  countListingsByStatus,
  createListing,
  findListing,
  LIST_LIMIT,
  listingIdOf,
  listListings,
  suggestCode,
  updateListing,
  type ListingDetail,
} from "./listing-queries.js";
import { ACTION_TO, allowed, canEditListings, LISTING_STATUS_LABELS, parseContractDate, type ListingAction, type ListingOptions } from "./listing-rules.js";
import { listingDetail, listingForm, listingHistory, listingTable } from "./listing-views.js";

// The 空き家バンク in the console (/staff/listings): every listing with its status, price and area;
// one listing's page with publish / unpublish / contract (with its date) / withdraw the contract,
// and its photo; the form to register or correct a listing. Everyone signed in may look; the
// department that runs the bank and admins may change. Contracts marked here are the live count of
// the KPI 「空き家バンク登録物件を購入、または借りた件数」 (src/kpi/live-counts.ts).
const CURRENT = "/staff/listings";

export function listingPages(db: Kysely<Database>, options: ListingOptions): Router {
  const router = express.Router();
  const site: ListingSite = { db, options };
  router.get("/staff/listings", (req, res) => showListingList(site, req, res));
  router.get("/staff/listings/new", (req, res) => showNewListingForm(site, req, res));
  router.post("/staff/listings/new", (req, res) => createListingFromForm(site, req, res));
  router.get("/staff/listings/:id", (req, res) => showListingPage(site, req, res));
  router.get("/staff/listings/:id/edit", (req, res) => showListingEditor(site, req, res));
  router.post("/staff/listings/:id/edit", (req, res) => saveListing(site, req, res));

  for (const action of ["publish", "unpublish", "contract", "uncontract"] as const) {
    router.post(`/staff/listings/:id/${action}`, (req, res) => changeListingStatus(site, action, req, res));
  }

  router.use(listingPhotoRoutes(db, options));
  return router;
}

interface ListingSite {
  db: Kysely<Database>;
  options: ListingOptions;
}

const canEdit = ({ options }: ListingSite, req: Request) => canEditListings(req.staff!, options);

const forbidden = ({ options }: ListingSite, req: Request, res: Response) =>
  res.status(403).type("html").send(
    page({
      title: "権限がありません",
      staff: req.staff!,
      current: CURRENT,
      body: html`<p>空き家バンクの物件を登録・変更できるのは、${options.department}の職員と管理者です。物件の内容は閲覧できます。</p><p><a href="/staff/listings">一覧へ戻る</a></p>`,
    }),
  );
const notFound = (req: Request, res: Response) =>
  res.status(404).type("html").send(page({ title: "見つかりません", staff: req.staff!, current: CURRENT, body: html`<p>この物件は見つかりません。</p><p><a href="/staff/listings">一覧へ戻る</a></p>` }));

async function showListing(site: ListingSite, req: Request, res: Response, listing: ListingDetail, extra: { status?: number; error?: string; contractDate?: string } = {}) {
  const history = await historyOf(site.db, "listing", listing.id);
  const done = typeof req.query.done === "string" && Object.hasOwn(DONE_MESSAGES, req.query.done) ? DONE_MESSAGES[req.query.done] : undefined;
  const body = listingDetail({
    listing,
    staff: req.staff!,
    canEdit: canEdit(site, req),
    history: listingHistory(history),
    publicBaseUrl: site.options.publicBaseUrl,
    now: new Date(),
    notice: extra.error ? undefined : done,
    error: extra.error,
    contractDate: extra.contractDate,
  });
  // The page's upload script sends the photo with fetch: allow connections to this origin here.
  const policy = res.get("Content-Security-Policy");
  if (policy && canEdit(site, req)) res.set("Content-Security-Policy", `${policy}; connect-src 'self'`);
  res.status(extra.status ?? 200).type("html").send(page({ title: `空き家バンク ${listing.code}`, staff: req.staff!, current: CURRENT, body }));
}

async function showForm(site: ListingSite, req: Request, res: Response, form: { input: ListingFormInput; errors: FormErrors; listingId: string | null }, status = 200) {
  const isNew = form.listingId === null;
  const body = listingForm({
    action: isNew ? "/staff/listings/new" : `/staff/listings/${form.listingId}/edit`,
    staff: req.staff!,
    input: form.input,
    errors: form.errors,
    areas: await areaChoices(site.db),
    isNew,
    cancel: isNew ? "/staff/listings" : `/staff/listings/${form.listingId}`,
  });
  const title = isNew ? "空き家バンク 物件の登録" : `空き家バンク ${form.input.code} の編集`;
  res.status(status).type("html").send(page({ title, staff: req.staff!, current: CURRENT, body }));
}

async function showListingList(site: ListingSite, req: Request, res: Response): Promise<void> {
  const status = typeof req.query.status === "string" && Object.hasOwn(LISTING_STATUS_LABELS, req.query.status) ? (req.query.status as ListingStatus) : undefined;
  const [rows, counts] = await Promise.all([listListings(site.db, status), countListingsByStatus(site.db)]);
  const body = listingTable(rows, status, counts, canEdit(site, req), rows.length >= LIST_LIMIT);
  res.type("html").send(page({ title: "空き家バンク", staff: req.staff!, current: CURRENT, body }));
}

async function showNewListingForm(site: ListingSite, req: Request, res: Response): Promise<void> {
  if (!canEdit(site, req)) return void forbidden(site, req, res);
  await showForm(site, req, res, { input: emptyInput(await suggestCode(site.db)), errors: {}, listingId: null });
}

async function createListingFromForm(site: ListingSite, req: Request, res: Response): Promise<void> {
  if (!canEdit(site, req)) return void forbidden(site, req, res);
  const input = formInput(req.body);
  const now = new Date();
  const parsed = parseListingForm(input, { withCode: true, areas: await areaChoices(site.db), now });
  if (!parsed.ok) return void (await showForm(site, req, res, { input, errors: parsed.errors, listingId: null }, 400));
  const code = parsed.code!;
  const taken = { code: `物件番号「${code}」はすでに使われています。別の番号にしてください。` };
  if (await codeTaken(site.db, code)) return void (await showForm(site, req, res, { input, errors: taken, listingId: null }, 400));
  let id: string;
  try {
    id = await site.db.transaction().execute(async (trx) => {
      const created = await createListing(trx, code, parsed.values, now);
      await audit(trx, req.staff!, "listing.create", { type: "listing", id: created }, { code });
      return created;
    });
  } catch (error) {
    // Two people registering the same number at once: the unique index decides.
    if ((error as { code?: string }).code === "23505") return void (await showForm(site, req, res, { input, errors: taken, listingId: null }, 400));
    throw error;
  }
  res.redirect(303, `/staff/listings/${id}?done=created`);
}

async function showListingPage(site: ListingSite, req: Request, res: Response): Promise<void> {
  const id = listingIdOf(String(req.params.id));
  const listing = id ? await findListing(site.db, id) : undefined;
  if (!listing) return void notFound(req, res);
  await showListing(site, req, res, listing);
}

async function showListingEditor(site: ListingSite, req: Request, res: Response): Promise<void> {
  if (!canEdit(site, req)) return void forbidden(site, req, res);
  const id = listingIdOf(String(req.params.id));
  const listing = id ? await findListing(site.db, id) : undefined;
  if (!listing) return void notFound(req, res);
  await showForm(site, req, res, { input: inputFromListing(listing), errors: {}, listingId: listing.id });
}

async function saveListing(site: ListingSite, req: Request, res: Response): Promise<void> {
  if (!canEdit(site, req)) return void forbidden(site, req, res);
  const id = listingIdOf(String(req.params.id));
  const listing = id ? await findListing(site.db, id) : undefined;
  if (!listing) return void notFound(req, res);
  const input = { ...formInput(req.body), code: listing.code };
  const now = new Date();
  const parsed = parseListingForm(input, { withCode: false, areas: await areaChoices(site.db), now });
  if (!parsed.ok) return void (await showForm(site, req, res, { input, errors: parsed.errors, listingId: listing.id }, 400));
  const before = inputFromListing(listing);
  const after = inputFromListing({ ...listing, ...parsed.values });
  const changed = FORM_FIELDS.filter((field) => before[field] !== after[field]);
  if (changed.length > 0) {
    await site.db.transaction().execute(async (trx) => {
      await updateListing(trx, listing.id, parsed.values, now);
      await audit(trx, req.staff!, "listing.update", { type: "listing", id: listing.id }, { changed });
    });
  }
  res.redirect(303, `/staff/listings/${listing.id}?done=${changed.length > 0 ? "updated" : "unchanged"}`);
}

async function changeListingStatus(site: ListingSite, action: ListingAction, req: Request, res: Response): Promise<void> {
  if (!canEdit(site, req)) return void forbidden(site, req, res);
  const id = listingIdOf(String(req.params.id));
  const listing = id ? await findListing(site.db, id) : undefined;
  if (!listing) return void notFound(req, res);
  const now = new Date();
  let contractDate: string | null = null;
  if (action === "contract") {
    const raw = (req.body as Record<string, unknown> | undefined)?.contracted_at;
    const date = parseContractDate(raw, now);
    if (!date.ok) return void (await showListing(site, req, res, listing, { status: 400, error: date.error, contractDate: typeof raw === "string" ? raw : "" }));
    contractDate = date.date;
  }
  const moved =
    allowed(action, listing.status) &&
    (await site.db.transaction().execute(async (trx) => {
      if (!(await changeStatus(trx, listing.id, action, now, contractDate))) return false;
      await audit(trx, req.staff!, `listing.${action}`, { type: "listing", id: listing.id }, {
        from: listing.status,
        to: ACTION_TO[action],
        ...(contractDate ? { contracted_at: contractDate, previous_date: listing.contracted_on } : {}),
      });
      return true;
    }));
  if (!moved) {
    const fresh = (await findListing(site.db, listing.id)) ?? listing;
    return void (await showListing(site, req, res, fresh, { status: 409, error: STATE_ERRORS[action] }));
  }
  res.redirect(303, `/staff/listings/${listing.id}?done=${action}`);
}

const DONE_MESSAGES: Record<string, string> = {
  created: "物件を下書きとして登録しました。内容と写真を確かめてから「公開する」を押すと、LINEの検索に表示されます。",
  updated: "物件の内容を更新しました。",
  unchanged: "変更はありませんでした。",
  publish: "公開しました。LINEの空き家バンク検索に表示されます。",
  unpublish: "非公開にしました。LINEの検索には表示されません。",
  contract: "成約を記録しました。KPI「空き家バンク登録物件を購入、または借りた件数」に数えられます。",
  uncontract: "成約の記録を取り消しました。物件は「非公開」になっています。",
  photo: "写真を登録しました。",
  photo_not_for_line: "写真を登録しました。ただし、WebP形式の写真はLINEでは表示できないため、LINEには「写真は準備中です」と表示されます。JPEGかPNGで登録し直すと表示されます。",
};

const STATE_ERRORS: Record<ListingAction, string> = {
  publish: "この物件はいまの状態では公開できません。成約済みの物件は、先に「成約の記録を取り消す」を押してください。",
  unpublish: "この物件は公開中ではないため、非公開にする必要はありません。",
  contract: "この物件の状態が変わったため、成約を記録できませんでした。画面の内容を確かめて、もう一度操作してください。",
  uncontract: "この物件は成約済みではないため、取り消す記録はありません。",
};
