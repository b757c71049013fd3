import type { NoticeRow, NoticeStatus } from "../store/tables/notices.js";

// Who may move a notice on, and when its links may lead anywhere. Every notice is checked by two
// people (issue 7): the author writes it, an administrator who is not the author approves it.

export interface NoticeActor {
  id: string;
  role: string;
}

type NoticeRef = Pick<NoticeRow, "status" | "created_by">;

export const canApproveNotice = (actor: NoticeActor, notice: NoticeRef): boolean =>
  notice.status === "pending" && actor.role === "admin" && actor.id !== notice.created_by;

// Cancelling an approved notice undoes an administrator's decision, so only the author (who may
// withdraw their own notice) and administrators may cancel; delivery must not have started.
export const CANCELLABLE: readonly NoticeStatus[] = ["draft", "pending", "approved"];

export const mayCancelNotice = (actor: NoticeActor, notice: Pick<NoticeRow, "created_by">): boolean =>
  actor.role === "admin" || actor.id === notice.created_by;

export const canCancelNotice = (actor: NoticeActor, notice: NoticeRef): boolean => CANCELLABLE.includes(notice.status) && mayCancelNotice(actor, notice);

// A notice's /r/ links lead to their URL only once an administrator approved it: before that, anyone
// on staff could write a link and have the city's address send people anywhere. Failed notices were
// approved and reached some residents, so their links keep working; a cancelled one never went out.
export const LINKS_LIVE: readonly NoticeStatus[] = ["approved", "sending", "sent", "failed"];
