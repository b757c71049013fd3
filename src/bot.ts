import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import { openStore, type Store, type StoreTarget } from "./store/connect.js";
import { migrateToLatest } from "./store/migrate.js";
import { dropAbandonedReportPhotos } from "./store/cases.js";
import { seedIfEmpty } from "./seeds/seed-if-empty.js";
import { loadBotTexts } from "./seeds/bot-texts.js";
import { InboxWriter } from "./inbox/inbox-writer.js";
import { InboxAnnouncer, inboxChannel, parseStoredElsewhere } from "./inbox/inbox-channel.js";
import { InboxWorker } from "./inbox/inbox-worker.js";
import { defaultWorkerOptions, type InboxWorkerOptions } from "./inbox/worker-options.js";
import { createEventHandler } from "./events/handle-event.js";
import { loadRouterData } from "./intents/load-router-data.js";
import { createRouter } from "./intents/router.js";
import { createConversationEngine } from "./flows/conversation-engine.js";
import { loadFlowTexts, type FlowTexts } from "./flows/flow-texts.js";
import { queueDueReminders } from "./flows/future-cafe/cafe-reminders.js";
import { applyRetention } from "./staff/privacy/retention.js";
import { createContentFetcher } from "./line/content-client.js";
import { createLineSender } from "./line/line-client.js";
import { createUserRichMenuApi } from "./line/user-rich-menu-client.js";
import { createMenuSync, type MenuSyncOptions } from "./richmenu/user-menu-links.js";
import { answersWaitingPayloads, outboxChannel, parseAnswersWaiting } from "./outbox/outbox-channel.js";
import { OutboundDispatcher, defaultDispatcherOptions, type DispatcherOptions } from "./outbox/outbound-dispatcher.js";
import { PeriodicJob } from "./periodic-job.js";
import { createNoticeSender } from "./notices/notice-sender.js";
import { NoticeDelivery, defaultNoticeDeliveryOptions, type NoticeDeliveryOptions } from "./notices/notice-delivery.js";
import { loadNoticeTemplates } from "./notices/notice-templates.js";
import { CapturedRequests } from "./devchat/line-api-standin/captured-requests.js";
import { friendsOfTheAccount } from "./devchat/line-api-standin/friends.js";
import { startLineApiStandIn, type RunningStandIn, type StandInInspector } from "./devchat/line-api-standin.js";
import { deployLocalRichMenus } from "./devchat/local-rich-menus.js";
import type express from "express";
import { buildApp } from "./server.js";
import type { LoginSettings } from "./staff/login-check.js";
import { storeErrorSummary } from "./store/store-errors.js";
import { releaseClaimsOfGoneProcesses } from "./inbox/dead-claims.js";
import { limitLineRequestTime } from "./line/line-client.js";

export interface RunningBot {
  url: string;
  store: Store;
  worker: InboxWorker | null;
  dispatcher: OutboundDispatcher;
  notices: NoticeDelivery;
  captured: CapturedRequests | null;
  // The local stand-in for the LINE API (local mode only).
  lineStandIn: RunningStandIn | null;
  lineApiBaseUrl: string;
  dataApiBaseUrl: string;
  stop(): Promise<void>;
}

export interface BotOverrides {
  store?: StoreTarget;
  worker?: Partial<InboxWorkerOptions>;
  dispatcher?: Partial<DispatcherOptions>;
  sweepIntervalMs?: number;
  // How often the scheduled jobs (未来カフェ reminders, abandoned drafts) look for due work.
  jobIntervalMs?: number;
  // How often per-user rich menus are told to LINE, and their retry timing.
  menuSync?: Partial<MenuSyncOptions> & { intervalMs?: number };
  // The clock of the scheduled jobs (tests move it forward).
  now?: () => Date;
  // The staff login's scrypt cost, hash limits, lockout and clock (tests lower the cost).
  login?: LoginSettings;
  // How often a worker looks for notices due to be sent (approval also wakes it at once).
  noticeIntervalMs?: number;
  notices?: Partial<NoticeDeliveryOptions>;
  host?: string;
  // Local mode: the stand-in's monthly message limit, and what tests check its traffic with.
  lineStandIn?: { monthlyLimit?: number | null; inspector?: StandInInspector };
}

// Start-up, in order: store → migrations → seeds → HTTP server → worker and outbox sweep.
export async function startBot(config: Config, log: Logger, overrides: BotOverrides = {}): Promise<RunningBot> {
  // A broken connection is dropped by the pool and replaced when next needed; the work it was doing
  // fails as "database unreachable" and is retried (webhook 503, events handed back).
  const onConnectionError = (error: Error) => log.warn({ reason: storeErrorSummary(error) }, "database connection lost; reconnecting when next needed");
  const store = await openStore(
    overrides.store
      ? overrides.store.kind === "postgres"
        ? { onConnectionError, ...overrides.store }
        : overrides.store
      : config.database.kind === "postgres"
        ? { kind: "postgres", url: config.database.url, onConnectionError }
        : config.database,
  );
  try {
    const applied = await migrateToLatest(store.db);
    if (applied.length > 0) log.info({ migrations: applied }, "database migrated");
    const seeded = await seedIfEmpty(store.db);
    if (seeded) log.info({ seeded }, "empty database: city content loaded from seeds/");
    return await startServing(config, log, store, overrides);
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
}

async function startServing(config: Config, log: Logger, store: Store, overrides: BotOverrides): Promise<RunningBot> {
  limitLineRequestTime(config.line.timeoutMs);
  const texts = await loadBotTexts();
  const router = createRouter(await loadRouterData());
  const flowTexts = await loadFlowTexts();
  const runsWorker = config.role !== "web";
  const servesWebhook = config.role !== "worker";
  const useStandIn = config.localMode && !config.line.apiBaseUrlIsExplicit;
  const captured = config.devChat || useStandIn ? new CapturedRequests() : null;

  // The local stand-in for the LINE API listens on loopback ports of its own (one per LINE host):
  // the SDK resolves "/v2/bot/..." against the host, so it cannot live under a path of the main app.
  // The seeds' rich menus are deployed to it before anything can ask for them.
  const standIn =
    useStandIn && captured
      ? await startLineApiStandIn({ channelAccessToken: config.line.channelAccessToken, captured, friends: friendsOfTheAccount(store.db), log, ...overrides.lineStandIn })
      : null;
  const lineApiBaseUrl = standIn?.apiUrl ?? config.line.apiBaseUrl;
  const dataApiBaseUrl = standIn?.dataUrl ?? config.line.dataApiBaseUrl;
  const lineApi = { channelAccessToken: config.line.channelAccessToken, apiBaseUrl: lineApiBaseUrl, dataApiBaseUrl };
  if (standIn) await deployLocalRichMenus(lineApi, log);
  const content = createContentFetcher({ dataApiBaseUrl, channelAccessToken: config.line.channelAccessToken });
  const conversations = createConversationEngine(texts, flowTexts, router, { content });
  const defaults = defaultWorkerOptions();
  const noticeSender = createNoticeSender({ channelAccessToken: config.line.channelAccessToken, apiBaseUrl: lineApiBaseUrl });
  const noticeDelivery = new NoticeDelivery(store.db, noticeSender, log, { ...defaultNoticeDeliveryOptions(overrides.worker?.workerId ?? defaults.workerId), ...overrides.notices });
  const stopNotices = new AbortController();
  const now = overrides.now ?? (() => new Date());
  const noticeJob = new PeriodicJob(() => noticeDelivery.deliverDue(now(), stopNotices.signal), overrides.noticeIntervalMs ?? 5_000, log, "notice delivery");
  const noticeTemplates = await loadNoticeTemplates();
  const dispatcher = createDispatcher(store, createLineSender({ channelAccessToken: config.line.channelAccessToken, apiBaseUrl: lineApiBaseUrl }), log, {
    ...defaultDispatcherOptions(overrides.worker?.workerId ?? defaults.workerId),
    maxAgeMs: config.line.answerMaxAgeMs,
    ...overrides.dispatcher,
  });
  // Answers are written claimed by this process's dispatcher and sent by it right after commit.
  // Paced by the event loop's lag only beside a webhook (a worker-only process starves nobody).
  const workerOptions = {
    ...defaults,
    pace: servesWebhook ? defaults.pace : null,
    sendAs: { workerId: dispatcher.options.workerId, leaseMs: dispatcher.options.leaseMs },
    ...overrides.worker,
  };
  const worker = runsWorker ? createWorker(store, createEventHandler(texts, router, conversations), dispatcher, log, workerOptions) : null;
  // With a worker in this process, the webhook stores events already claimed for it while it has
  // room (no claim query of its own) and tells it of the others; otherwise they wait pending for
  // any worker. The workers of other processes are told of what it left (inbox-channel.ts); the
  // embedded database has no other process.
  const announcer = servesWebhook && store.kind === "postgres" ? new InboxAnnouncer(store.notifications, workerOptions.workerId, log) : null;
  const inbox = servesWebhook ? new InboxWriter(store.db, worker, undefined, announcer ? (userIds, needsRoom) => announcer.announce(userIds, needsRoom) : null) : null;
  const app = buildApp({
    db: store.db,
    log,
    channelSecret: config.line.channelSecret,
    inbox,
    devChat: config.devChat && captured && servesWebhook ? { botName: texts.bot_name, captured, line: lineApi } : null,
    trustProxy: config.trustProxy,
    staff: servesWebhook ? { secureCookies: config.production, login: overrides.login, deliver: (ids) => dispatcher.deliver(ids), reports: flowTexts.report, procedures: conversations.procedures, now: overrides.now, listings: { publicBaseUrl: config.publicBaseUrl, department: flowTexts.vacantHouse.department }, retentionDays: config.retentionDays, notices: { publicBaseUrl: config.publicBaseUrl, accountName: texts.bot_name, templates: noticeTemplates, quota: () => noticeSender.quota(), wake: () => noticeJob.wake() } } : null,
  });
  const server = await listen(app, config.port, overrides.host ?? "0.0.0.0");
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const sweeper = new PeriodicJob(() => dispatcher.deliverDue(), overrides.sweepIntervalMs ?? 2_000, log);
  const jobs = new PeriodicJob(() => runScheduledJobs(store, flowTexts, dispatcher, config.retentionDays, now(), log), overrides.jobIntervalMs ?? 60_000, log, "scheduled jobs");
  // Per-user rich menus (受信設定): a short interval, as a resident has just asked for the change.
  const syncMenus = createMenuSync(store.db, createUserRichMenuApi({ channelAccessToken: config.line.channelAccessToken, apiBaseUrl: lineApiBaseUrl }), log, overrides.menuSync);
  const menus = new PeriodicJob(() => syncMenus(now()), overrides.menuSync?.intervalMs ?? 3_000, log, "rich menu sync");
  if (worker) {
    await listenToOtherProcesses(store, worker, dispatcher, workerOptions.workerId, log);
    worker.start();
    sweeper.start();
    sweeper.wake();
    jobs.start();
    menus.start();
    noticeJob.start();
  }
  log.info({ port, role: config.role, database: store.kind, localMode: config.localMode }, "bot started");

  return {
    url,
    store,
    worker,
    dispatcher,
    notices: noticeDelivery,
    captured,
    lineStandIn: standIn,
    lineApiBaseUrl,
    dataApiBaseUrl,
    stop: () => stopServing({ server, worker, dispatcher, timers: [sweeper, jobs, menus], stopNotices, noticeJob, standIn, store }),
  };
}

// Answers written behind one another process is sending: that process is told (outbox-channel.ts).
function createDispatcher(store: Store, sender: ReturnType<typeof createLineSender>, log: Logger, options: DispatcherOptions): OutboundDispatcher {
  const dispatcher = new OutboundDispatcher(store.db, sender, log, options);
  dispatcher.onWaitingElsewhere = (userIds) => {
    for (const payload of answersWaitingPayloads(dispatcher.options.workerId, userIds)) {
      store.notifications.notify(outboxChannel, payload).catch((error) => log.warn({ reason: storeErrorSummary(error) }, "could not tell other processes of waiting answers; the outbox sweep sends them"));
    }
  };
  return dispatcher;
}

function createWorker(store: Store, handler: ReturnType<typeof createEventHandler>, dispatcher: OutboundDispatcher, log: Logger, options: InboxWorkerOptions): InboxWorker {
  return new InboxWorker(
    store.db,
    handler,
    async (claimed, pending) => {
      await Promise.all([dispatcher.sendClaimed(claimed), dispatcher.deliver(pending.map((row) => row.id), pending.map((row) => row.user_id))]);
    },
    log,
    options,
  );
}

// The minute's jobs: 未来カフェ reminders, abandoned report photos, personal data past retention.
async function runScheduledJobs(store: Store, flowTexts: FlowTexts, dispatcher: OutboundDispatcher, retentionDays: number, now: Date, log: Logger): Promise<void> {
  const ids = await queueDueReminders(store.db, flowTexts.futureCafe, now);
  if (ids.length > 0) log.info({ reminders: ids.length }, "未来カフェ reminders queued");
  await dispatcher.deliver(ids);
  await dropAbandonedReportPhotos(store.db, now);
  const retained = await applyRetention(store.db, retentionDays, now);
  if (Object.values(retained).some((count) => count > 0)) log.info(retained, "personal data past its retention period removed");
}

// What stopped processes left claimed, and what others store or leave waiting, is worked here.
async function listenToOtherProcesses(store: Store, worker: InboxWorker, dispatcher: OutboundDispatcher, workerId: string, log: Logger): Promise<void> {
  // Work a killed predecessor on this host left claimed is taken up now, not when its leases end.
  await releaseClaimsOfGoneProcesses(store.db, workerId, log).catch((error) =>
    log.warn({ reason: storeErrorSummary(error) }, "could not look for work left by stopped processes; their leases will expire"),
  );
  await store.notifications.subscribe(outboxChannel, (payload) => {
    const notice = parseAnswersWaiting(payload);
    if (notice && notice.from !== dispatcher.options.workerId) dispatcher.noticeWaiting(notice.userIds);
  });
  // Heard until the store closes (stop): a notice reaching a stopped worker changes nothing.
  await store.notifications.subscribe(
    inboxChannel,
    (payload) => {
      const notice = parseStoredElsewhere(payload);
      if (notice && notice.from !== workerId) worker.noticeStored(notice.userIds ?? [], notice.needsRoom);
    },
    // Notices may have been lost while the listening connection was down: look now.
    { missed: () => worker.wake() },
  );
}

interface ServingParts {
  server: Server;
  worker: InboxWorker | null;
  dispatcher: OutboundDispatcher;
  timers: PeriodicJob[];
  stopNotices: AbortController;
  noticeJob: PeriodicJob;
  standIn: RunningStandIn | null;
  store: Store;
}

async function stopServing({ server, worker, dispatcher, timers, stopNotices, noticeJob, standIn, store }: ServingParts): Promise<void> {
  // New requests on kept-alive connections are still answered, with `Connection: close`, so
  // clients move to another process; meanwhile the worker stops claiming and finishes the
  // events it holds, answers sent included.
  server.prependListener("request", (_req, res) => res.setHeader("Connection", "close"));
  await Promise.all([closeServer(server), worker?.stop()]);
  dispatcher.stop();
  for (const timer of timers) await timer.stop();
  // A delivery in progress stops where it is; its lease runs out and a running process resumes it.
  stopNotices.abort();
  await noticeJob.stop();
  await standIn?.stop();
  await store.close();
}

function listen(app: express.Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
    server.on("error", reject);
    // Keep-alive longer than typical load balancers' idle timeout, so they never reuse a closed socket.
    server.keepAliveTimeout = 65_000;
  });
}

// Waits for the requests in progress (closing each connection as its response ends), for at most
// `graceMs`; then closes what is left.
function closeServer(server: Server, graceMs = 8_000): Promise<void> {
  return new Promise((resolve) => {
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
