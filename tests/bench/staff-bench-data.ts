import type pg from "pg";

// bench:staff's data, generated set-based in Postgres: residents, their LINE messages (inbound
// Japanese text mixing very common, common and rare words), inquiries and reports spread over
// categories, departments, statuses and three years. Triggers are off while loading (a row
// trigger per message would take hours), so the search bigrams and the status counts the
// triggers keep are computed here in bulk, with the same SQL functions the triggers use.
// As in production (migration 0017), a case's search data covers its own thread's messages: a
// share of each resident's messages (CASE_MESSAGE_SHARE) belongs to one of their inquiries'
// threads, the rest (free chat, FAQ answers) to none.

export interface BenchSize {
  users: number;
  messages: number;
  inquiries: number;
  reports: number;
}

// Words the bench searches for, and how often they appear in an inbound message.
export const BENCH_WORDS = {
  common: "相談", // in about a third of the inbound messages
  twoChars: "道路", // about one in twelve
  rare: "鮎釣り", // about one in 20,000
  none: "宇宙船", // never
};

const TOWNS = ["南町", "麓町", "九日町", "七日町", "紺屋町", "鍛冶屋町", "新町", "大工町", "西間上町", "中神町", "矢黒町", "下林町", "願成寺町", "上青井町", "田町"];
// Repeated entries weight the draw.
const TOPICS = [
  "空き家バンクの物件", "空き家バンクの物件", "移住の支援制度", "移住の支援制度", "道路の穴", "道路の草刈り", "街灯が消えている件", "ごみの出し方", "ごみの出し方",
  "子育て支援", "住民票の写し", "水道料金", "固定資産税", "図書館の開館時間", "人吉城跡の見学", "球磨川の水位", "バスの時刻表", "温泉の営業時間", "保育園の申し込み", "ワクチン接種",
];
const ENDINGS = ["について相談したいです", "を教えてください", "について知りたいです", "の件でお願いします", "はどうなっていますか", "について相談があります", "の手続きについて", "が気になっています"];
const BOT_REPLIES = ["ご相談ありがとうございます。担当課からご連絡します。", "こちらのメニューからお選びください。", "受け付けました。", "物件の一覧はこちらです。"];
const INQUIRY_SUBJECTS = ["移住相談", "空き家バンク物件のお問い合わせ", "空き家の登録", "職員への取り次ぎ"];
const REPORT_CATEGORIES: [string, string][] = [
  ["道路", "建設課"], ["道路", "建設課"], ["道路", "建設課"], ["街灯", "建設課"], ["街灯", "建設課"], ["不法投棄", "環境課"], ["公園", "都市計画課"], ["倒木", "建設課"], ["その他", "情報政策課"],
];
export const REPORT_CATEGORY_LABELS = [...new Set(REPORT_CATEGORIES.map(([label]) => label))];
const REPORT_TEXTS = ["道路に穴が開いています", "街灯が点いていません", "ごみが捨てられています", "遊具が壊れています", "木が倒れて道をふさいでいます", "側溝のふたが外れています", "ガードレールが曲がっています"];
const CASE_MESSAGE_SHARE = 0.6;
const HUMAN_DEPARTMENTS = ["秘書課", "市民課", "税務課", "福祉課", "健康推進課", "建設課", "環境課", "教育総務課"];

const list = (values: readonly string[]) => `array[${values.map((value) => `'${value.replace(/'/g, "''")}'`).join(", ")}]`;
const pick = (values: readonly string[]) => `(${list(values)})[1 + floor(random() * ${values.length})::int]`;
const userOf = (users: number) => `'Ubench' || lpad((1 + floor(random() * ${users})::int)::text, 8, '0')`;
// Three years back from now, more recent days a little more likely (use grows).
const when = `now() - (power(random(), 1.3) * interval '1095 days')`;

// Recent cases are still open; older ones mostly closed.
const status = (time: string) => `case when ${time} > now() - interval '30 days' then (array['new', 'in_progress', 'closed'])[1 + floor(random() * 3)::int]
  when random() < 0.04 then 'in_progress' when random() < 0.02 then 'new' else 'closed' end`;

export async function generateStaffBenchData(client: pg.Client, size: BenchSize, log: (step: string) => void): Promise<void> {
  const step = async (name: string, sqlText: string) => {
    const started = performance.now();
    await client.query(sqlText);
    log(`${name} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  };
  await client.query("set session_replication_role = replica"); // triggers off for the bulk load
  await client.query("set maintenance_work_mem = '512MB'");
  await client.query("set work_mem = '64MB'");
  // Secondary indexes are dropped during the load and built again after, from their own definitions.
  const { rows: indexes } = await client.query<{ name: string; definition: string }>(`
    select i.indexname as name, i.indexdef as definition from pg_indexes i
    where i.schemaname = current_schema() and i.tablename in ('line_users', 'messages', 'inquiries', 'reports')
      and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`);
  for (const index of indexes) await client.query(`drop index ${index.name}`);

  await step(`${size.users.toLocaleString()} residents`, `
    insert into line_users (user_id, follow_state, first_seen_at, last_seen_at, followed_at, blocked_at)
    select 'Ubench' || lpad(g::text, 8, '0'), case when r < 0.9 then 'following' else 'blocked' end, t, t, t, case when r >= 0.9 then t + interval '30 days' end
    from (select g, random() as r, ${when} as t from generate_series(1, ${size.users}) g) s`);
  await step(`${size.messages.toLocaleString()} messages`, `
    insert into messages (user_id, direction, message_type, text, created_at)
    select ${userOf(size.users)}, direction, case when direction = 'in' and r < 0.15 then 'postback' else 'text' end,
      case when direction = 'out' then ${pick(BOT_REPLIES)}
           when r < 0.15 then null
           else ${pick(TOWNS)} || 'の' || ${pick(TOPICS)} || ${pick(ENDINGS)}
                || case when random() < 0.00005 then '。${BENCH_WORDS.rare}の解禁日も' else '' end end,
      ${when}
    from (select case when g % 2 = 0 then 'in' else 'out' end as direction, random() as r from generate_series(1, ${size.messages}) g) s`);
  await step(`${size.inquiries.toLocaleString()} inquiries`, `
    insert into inquiries (reference_no, user_id, category, status, department, subject, details, created_at, updated_at, closed_at, search_bigrams)
    select reference_no, user_id, category, status, department, subject, details, t, t, case when status = 'closed' then t + interval '3 days' end,
      coalesce(text_bigrams(reference_no || ' ' || subject || ' ' || details::text), ''::tsvector)
    from (
      select reference_no, user_id, category, t, subject, details,
        case category when 'relocation' then '商工観光課' when 'human' then ${pick(HUMAN_DEPARTMENTS)} else '地域コミュニティ課' end as department,
        ${status("t")} as status
      from (
        select 'Q' || lpad(g::text, 9, '0') as reference_no, ${userOf(size.users)} as user_id, ${when} as t, c as category,
          (${list(INQUIRY_SUBJECTS)})[array_position(array['relocation', 'vacant_house', 'vacant_house_registration', 'human'], c)] as subject,
          jsonb_build_object('topic', ${pick(TOPICS)} || ${pick(ENDINGS)}, 'household', (1 + floor(random() * 5)::int) || '人') as details
        from (select g, (array['relocation', 'relocation', 'vacant_house', 'vacant_house', 'vacant_house_registration', 'human', 'human', 'human'])[1 + floor(random() * 8)::int] as c
              from generate_series(1, ${size.inquiries}) g) c
      ) q
    ) s`);
  await step(`${size.reports.toLocaleString()} reports`, `
    insert into reports (reference_no, user_id, category, status, department, description, address, latitude, longitude, created_at, updated_at, closed_at)
    select reference_no, user_id, (${list(REPORT_CATEGORIES.map(([label]) => label))})[k], st, (${list(REPORT_CATEGORIES.map(([, department]) => department))})[k],
      description, address, 32.21 + random() * 0.05, 130.75 + random() * 0.05, t, t, case when st = 'closed' then t + interval '5 days' end
    from (select *, ${status("t")} as st from (
      select 'R' || lpad(g::text, 9, '0') as reference_no, ${userOf(size.users)} as user_id, ${when} as t, 1 + floor(random() * ${REPORT_CATEGORIES.length})::int as k,
        ${pick(REPORT_TEXTS)} || case when random() < 0.0002 then '。${BENCH_WORDS.rare}の帰りに見つけました' else '' end as description,
        ${pick(TOWNS)} || (1 + floor(random() * 3000)::int) || '番地' as address
      from generate_series(1, ${size.reports}) g
    ) r) s`);
  await step("case messages: tagged with one of their resident's inquiry threads", `
    update messages m set thread_id = i.thread_id
      from (select distinct on (user_id) user_id, thread_id from inquiries order by user_id, id) i
     where i.user_id = m.user_id and random() < ${CASE_MESSAGE_SHARE}`);
  await step("inquiries' search data: their threads' inbound messages", `
    update inquiries i set search_bigrams = i.search_bigrams || b.bigrams
      from (select thread_id, text_bigrams(string_agg(text, E'\\n')) as bigrams from messages
             where direction = 'in' and text is not null and thread_id is not null group by thread_id) b
     where b.thread_id = i.thread_id`);
  await client.query("set session_replication_role = origin");
  for (const index of indexes) await step(`index ${index.name}`, index.definition);
  await step("status counts", `
    delete from case_status_counts;
    insert into case_status_counts (case_type, department, status, n)
    select 'inquiry', department, status, count(*) from inquiries group by department, status
    union all select 'report', department, status, count(*) from reports group by department, status`);
  await step("vacuum analyze", "vacuum analyze line_users, messages, inquiries, reports, case_status_counts");
}
