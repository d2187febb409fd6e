/**
 * The one module that reads the environment. Every key is declared here with its type, default
 * and meaning; `.env.example` mirrors this list. Invalid configuration stops the process at
 * start-up with a message naming each bad key, instead of failing later in some request.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { PLATFORM_NAMES } from './domain/platforms';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65535);
const positive = z.coerce.number().positive();
/** A comma-separated list ("US, GB" → ['US', 'GB']), each item matching `item`. */
const commaList = (item: RegExp, message: string) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(item, message)));

/** Project root: the nearest folder up from here holding package.json (works from dist/ too). */
export const PROJECT_ROOT = (() => {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
  }
  return process.cwd();
})();

/** The local Temporal engines: the CLI dev server, or the real server on PostgreSQL (scripts/temporalServer.ts). */
export const TEMPORAL_ENGINES = ['dev', 'server'] as const;
export type TemporalEngine = (typeof TEMPORAL_ENGINES)[number];

const envSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'test', 'production'])
    .default('development')
    .describe('Runtime mode; "production" turns off pretty logs'),
  PORT: port.default(3000).describe('HTTP port of the API'),
  HOST: z.string().default('0.0.0.0').describe('Interface the API listens on'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level'),
  LOG_PRETTY: bool.optional().describe('Human-readable logs (default: on in development)'),
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'use a size such as 100kb or 1mb')
    .default('100kb')
    .describe('Largest accepted JSON body; larger bodies get 413'),
  TRUST_PROXY_HOPS: z.coerce
    .number()
    .int()
    .min(0)
    .max(10)
    .default(0)
    .describe(
      'Reverse proxies in front of the API whose X-Forwarded-For entries are trusted (nginx in docker compose: 1); 0 = none, the socket address is the client',
    ),

  DATABASE_URL: z
    .string()
    .url()
    .default('postgres://postgres@127.0.0.1:5432/blogger_analytics')
    .describe('PostgreSQL connection URL (the schema owner; migrations run as this role)'),
  TEST_DATABASE_URL: z
    .string()
    .url()
    .default('postgres://postgres@127.0.0.1:5432/blogger_analytics_test')
    .describe('Database that `npm test` creates, migrates and uses instead of DATABASE_URL'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10).describe('Connections per process in the PostgreSQL pool'),
  APP_DATABASE_URL: z
    .string()
    .url()
    .optional()
    .describe(
      'Connection of the API and worker: a role that neither owns the tables nor bypasses row-level security (default: DATABASE_URL as role blogger_app with APP_DATABASE_PASSWORD)',
    ),
  APP_DATABASE_PASSWORD: z
    .string()
    .regex(/^[\x21-\x7e]{12,128}$/, 'use 12 to 128 printable ASCII characters without spaces (e.g. `openssl rand -hex 24`)')
    .optional()
    .describe(
      'Password of the app role blogger_app: set on the role by `npm run migrate`, used in the default APP_DATABASE_URL; needed wherever PostgreSQL asks for passwords (docker compose)',
    ),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379/0').describe('Redis connection URL'),
  TEST_REDIS_URL: z
    .string()
    .url()
    .default('redis://127.0.0.1:6379/15')
    .describe('Redis database that `npm test` uses instead of REDIS_URL'),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(50)
    .max(60_000)
    .default(1000)
    .describe('A Redis command unanswered this long fails (the caller falls back as when Redis is down) and the connection is re-opened'),

  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233').describe('Temporal frontend (gRPC) host:port'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default').describe('Temporal namespace of the app'),
  TEMPORAL_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3650)
    .default(7)
    .describe('Days Temporal keeps closed workflows (namespace retention), set by the temporal-setup job'),
  TEMPORAL_TEST_NAMESPACE: z.string().min(1).default('blogger-analytics-test').describe('Namespace `npm test` runs its workflows in'),
  TEMPORAL_TASK_QUEUE: z
    .string()
    .min(1)
    .default('blogger-analytics')
    .describe('Task queue the worker polls and the API starts workflows on'),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce
    .number()
    .int()
    .min(0)
    .default(4000)
    .describe('Workflows the worker keeps in memory between their tasks (sticky cache); the rest replay their history when they wake'),
  WORKER_STICKY_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(60_000)
    .describe(
      "How long a cached workflow's task waits for this worker before another may take it (the SDK's default is 10 s). As long as a wake-up may be late (the lateness target): a grid point's burst (about 40 s for 50,000 monitors on 2 cores) then costs no replays; a killed worker's cached workflows wait this long before another worker takes them",
    ),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce
    .number()
    .int()
    .min(2)
    .default(500)
    .describe(
      "Workflow tasks one worker runs at once (the SDK's default is 40): a monitor's snapshot is a local activity inside its workflow task, so this bounds how many wake-ups can share a platform call",
    ),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce
    .number()
    .int()
    .min(1)
    .default(500)
    .describe('Activities one worker runs at once, and as many local activities (snapshots mostly wait on their shared batch)'),
  TEMPORAL_ENGINE: z
    .enum(TEMPORAL_ENGINES)
    .default('dev')
    .describe(
      'Temporal that npm start, npm test and the benchmarks start when none answers at TEMPORAL_ADDRESS: "dev" (the CLI dev server on SQLite, with the Web UI) or "server" (the real server on PostgreSQL, as in production); `npm start -- --temporal=server` picks it for one run',
    ),
  TEMPORAL_UI_PORT: port.default(8233).describe('Port of the dev server Web UI'),
  TEMPORAL_CLI: z.string().optional().describe('Path to a `temporal` CLI binary; else one on PATH, else a cached or freshly built one'),
  TEMPORAL_CLI_VERSION: z.string().default('v1.5.1').describe('Temporal CLI version built with `go install`'),
  CACHE_DIR: z
    .string()
    .default(path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'blogger-analytics'))
    .describe('Where the built Temporal CLI and server are cached (outside the repo)'),
  DATA_DIR: z
    .string()
    .default(path.join(PROJECT_ROOT, '.data'))
    .describe("Local data: the dev server database file, its log and pid; the server engine's config, log and pid"),

  JWT_SECRET: z
    .string()
    .min(32, 'use at least 32 random characters (e.g. `openssl rand -base64 48`)')
    .optional()
    .describe('HS256 signing secret of access tokens; required in production (development generates one in DATA_DIR)'),
  JWT_ISSUER: z.string().default('blogger-analytics').describe('iss claim of access tokens'),
  JWT_AUDIENCE: z.string().default('blogger-analytics-api').describe('aud claim of access tokens'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(900).describe('Access token lifetime (15 minutes)'),
  API_PROCESSES: z.coerce
    .number()
    .int()
    .min(0)
    .max(64)
    .default(1)
    .describe('API processes serving one port (node:cluster): 0 = one per CPU core'),
  AUTH_USER_CACHE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(5000)
    .describe(
      'How long an API process keeps an account (role, plan, active) between requests; changes made through the API reach every process at once, others within this (0: read it every request)',
    ),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30).describe('Refresh token family lifetime'),
  REFRESH_REUSE_GRACE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60)
    .default(10)
    .describe(
      'A just-rotated refresh token still works this long (two parallel refreshes from one client); later reuse revokes the family',
    ),
  BCRYPT_ROUNDS: z.coerce.number().int().min(4).max(15).default(12).describe('bcrypt cost factor'),
  LOGIN_MAX_PER_IP: z.coerce.number().int().min(1).default(30).describe('Login attempts per IP per 15 minutes'),
  LOGIN_MAX_FAILURES_PER_EMAIL: z.coerce
    .number()
    .int()
    .min(1)
    .default(5)
    .describe('Failed logins per email per 15 minutes before it is locked for the rest of the window'),
  REGISTER_MAX_PER_IP: z.coerce
    .number()
    .int()
    .min(1)
    .default(60)
    .describe('Registrations per IP per hour (each one is a bcrypt hash; an office behind one NAT address shares it)'),
  REFRESH_MAX_PER_IP: z.coerce.number().int().min(1).default(60).describe('Token refreshes per IP per minute'),

  // --- mail and account self-service (notifications/mailer.ts, api/auth/selfService.ts) ---------
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s]+$/, 'use smtp://[user:pass@]host:port or smtps://[user:pass@]host:port')
    .optional()
    .describe(
      'SMTP server that sends mail (smtp://user:pass@host:587 with STARTTLS, smtps://… for TLS on connect); unset: mail is off (`npm start` then runs a local capture server and writes every mail to DATA_DIR/mail)',
    ),
  MAIL_FROM: z.string().min(3).default('Blogger Analytics <no-reply@localhost>').describe('Sender of every mail (From header)'),
  MAIL_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(500)
    .max(120_000)
    .default(10_000)
    .describe('Deadline for connecting to the SMTP server, its greeting and each reply'),
  MAIL_CAPTURE_PORT: port
    .default(1025)
    .describe('Port of the local mail capture server that `npm start` runs when SMTP_URL is unset (0: any free port)'),
  APP_PUBLIC_URL: z
    .string()
    .url()
    .default('http://localhost:3000')
    .describe(
      'Public address of the application, for links in mail (…/reset-password#token=…, …/verify-email#token=…; the token rides in the fragment, which browsers never send to a server)',
    ),
  PASSWORD_RESET_TTL_MINUTES: z.coerce
    .number()
    .positive()
    .max(24 * 60)
    .default(30)
    .describe('How long a password reset token works (once)'),
  EMAIL_VERIFICATION_TTL_HOURS: z.coerce
    .number()
    .positive()
    .max(30 * 24)
    .default(48)
    .describe('How long an email verification token works (once)'),
  PASSWORD_RESET_MAX_PER_IP: z.coerce.number().int().min(1).default(10).describe('Password reset requests per IP per hour'),
  PASSWORD_RESET_MAX_PER_EMAIL: z.coerce
    .number()
    .int()
    .min(1)
    .default(3)
    .describe('Password reset requests per email address per hour, counted whether or not an account has it'),
  ACCOUNT_TOKEN_MAX_PER_IP: z.coerce
    .number()
    .int()
    .min(1)
    .default(30)
    .describe('Attempts to use a password reset or email verification token per IP per hour'),
  EMAIL_VERIFICATION_RESEND_MAX_PER_HOUR: z.coerce
    .number()
    .int()
    .min(1)
    .default(3)
    .describe('Verification mails a user may ask for per hour'),
  ACCOUNT_EXPORT_MAX_PER_HOUR: z.coerce
    .number()
    .int()
    .min(1)
    .default(5)
    .describe('Data exports (GET /api/auth/me/export) per user per hour'),

  // --- alert webhooks (notifications/webhookSender.ts, workflows/notificationDelivery.ts) ------
  WEBHOOK_MAX_ATTEMPTS: z.coerce
    .number()
    .int()
    .min(1)
    .max(50)
    .default(8)
    .describe('Attempts to deliver one webhook event before it is dead-lettered (listed, and redeliverable by the user)'),
  WEBHOOK_RETRY_INITIAL_SECONDS: positive
    .default(30)
    .describe(
      'Wait before the second attempt of a webhook delivery; doubles on each attempt (at most 100x this); real time, not TIME_SCALE',
    ),
  WEBHOOK_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(10_000)
    .describe('Deadline of one webhook request (connect, headers and body); a receiver that takes longer has failed that attempt'),
  NOTIFICATION_SWEEP_MINUTES: positive
    .default(5)
    .describe(
      'Minutes between two runs of the sweep that starts again every alert delivery (email or webhook) whose start was lost to a crash or an outage (not scaled by TIME_SCALE)',
    ),
  WEBHOOKS_ALLOW_LOCAL_TARGETS: bool
    .default(false)
    .describe(
      'Test/development only (refused in production): webhook URLs may use http and loopback addresses, for a receiver on this machine',
    ),

  TIME_SCALE: positive
    .default(1)
    .describe(
      'Simulation speed: 1 = real time (production); above 1 every workflow interval is divided by it and data time runs that many times faster (1440 = a day per minute)',
    ),
  CLOCK_START: z.coerce
    .date()
    .optional()
    .describe(
      'Simulated instant a simulation (TIME_SCALE > 1) starts at, e.g. 2026-03-01T00:00:00Z; default: the moment it is first started',
    ),
  TREND_MONITOR_DAYS: positive.default(7).describe('How long a discovered video is monitored, in days'),
  TREND_SNAPSHOT_HOURS: positive.default(2).describe('Hours between two snapshots of a monitored video'),
  TREND_GRID_POINTS: z.coerce
    .number()
    .int()
    .min(1)
    .max(720)
    .default(24)
    .describe('Wake-up instants per snapshot cycle that monitors share (fewer: fuller platform batches, bigger bursts)'),
  TREND_SNAPSHOT_BATCH_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(5000)
    .describe(
      'Real ms a batch of snapshots gathers the monitors waking on one grid point before one platform call and one write (at most a quarter of the snapshot interval)',
    ),
  TREND_DISCOVERY_HOURS: positive.default(4).describe('Hours between discovery runs (schedule)'),
  TREND_ANALYSIS_HOURS: positive.default(6).describe('Hours between trend analysis runs (schedule)'),
  TREND_CLEANUP_HOURS: positive.default(24).describe('Hours between cleanup runs (schedule)'),
  TREND_FRESH_DAYS: positive.default(7).describe('Discovery only picks videos published less than this many days ago'),
  TREND_DISCOVERY_CAP: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(200)
    .describe('Most new videos one discovery run takes per platform'),
  TREND_ANALYSIS_WINDOW_HOURS: positive.default(24).describe('Window of recent snapshots a trend analysis looks at'),
  TREND_MIN_CREATORS: z.coerce
    .number()
    .int()
    .min(2)
    .default(3)
    .describe('Distinct creators a hashtag/topic/sound/format needs to be a trend'),
  TREND_BASELINE_WINDOWS: z.coerce
    .number()
    .int()
    .min(1)
    .max(60)
    .default(6)
    .describe("Trailing analysis windows that make a name's baseline (its usual distinct creators per window)"),
  TREND_BURST_THRESHOLD: positive
    .default(2)
    .describe('Burst score (creators above baseline, in units of its noise) a name needs to be a trend; see lib/domain/trendBurst.ts'),
  TREND_BURST_RATIO: z.coerce
    .number()
    .min(1)
    .default(2)
    .describe('... and its recent creators must be at least this multiple of its baseline'),
  TREND_BURST_CHANCE: z.coerce
    .number()
    .gt(0)
    .max(0.5)
    .default(0.002)
    .describe('... and the chance of that many creators at its usual rate (a Poisson tail) must be at most this'),
  TREND_SIGNAL_MIN_CREATORS: z.coerce
    .number()
    .int()
    .min(1)
    .default(2)
    .describe('Distinct creators a rising hashtag/sound/keyword needs before discovery follows it'),
  TREND_TRENDING_PERCENTILE: z.coerce
    .number()
    .min(0.5)
    .max(0.999)
    .default(0.9)
    .describe('Videos at or above this velocity percentile are marked trending'),
  TREND_DROP_VELOCITY: z.coerce.number().min(0).default(10).describe('Cleanup drops videos slower than this (views/hour) ...'),
  TREND_DROP_MIN_SNAPSHOTS: z.coerce.number().int().min(1).default(6).describe('... once they have at least this many snapshots'),
  TREND_MANUAL_DISCOVERY_SHARE: z.coerce
    .number()
    .min(0)
    .max(0.5)
    .default(0.2)
    .describe(
      'Share of each platform daily quota (e.g. YouTube search calls) that user-triggered discovery may spend; the rest is kept for the schedule',
    ),
  TREND_DISCOVERY_REGIONS: commaList(/^[A-Z]{2}$/, 'use ISO 3166-1 alpha-2 region codes such as US,GB')
    .default(['US', 'GB', 'CA', 'AU', 'IN'])
    .describe(
      'Comma-separated regions whose YouTube mostPopular charts discovery reads (1 unit each); the first also scopes the broad search',
    ),
  TREND_DISCOVERY_CATEGORIES: commaList(/^\d+$/, 'use YouTube video category ids such as 10,20,24')
    .default([])
    .describe(
      'Comma-separated YouTube video category ids (e.g. 10 Music, 20 Gaming, 24 Entertainment) whose charts discovery also reads in every region; empty = the overall chart only',
    ),
  TREND_TARGETED_QUERIES_PER_RUN: z.coerce
    .number()
    .int()
    .min(0)
    .max(100)
    .default(10)
    .describe(
      'Most targeted queries (following a rising hashtag, sound or keyword) one discovery run makes per platform without a daily search bucket; YouTube spreads its search calls left today over the runs left instead',
    ),
  BLOGGER_SYNC_MINUTES: positive.default(60).describe('Minutes between two syncs of a tracked blogger'),
  BLOGGER_LOOKBACK_DAYS: positive.default(30).describe("A new blogger's videos are pulled back this many days"),
  BLOGGER_MAX_VIDEOS_PER_SYNC: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(100)
    .describe('Most videos one sync of one blogger fetches'),
  BLOGGER_MANUAL_SYNC_MINUTES: positive
    .default(15)
    .describe(
      'A blogger synced less than this many minutes ago is not due for a manual sync, and manual syncs of one blogger are at most this often',
    ),
  BLOGGER_SYNC_RETRY_INITIAL_SECONDS: positive
    .default(5)
    .describe('First retry delay of a failed sync step (database or platform down); doubles on each attempt, without an attempt limit'),
  BLOGGER_SYNC_RETRY_MAX_SECONDS: positive.default(300).describe('... up to this delay between two attempts'),
  BLOGGER_RECONCILE_MINUTES: positive
    .default(10)
    .describe(
      'Minutes between two runs of the reconciler that starts a sync for every active blogger that has none (not scaled by TIME_SCALE)',
    ),
  SCHEDULE_CATCHUP_HOURS: positive.default(1).describe('Missed schedule runs within this window are caught up after downtime'),
  SCHEDULES_ENABLED: bool.default(true).describe('Create/update the Trend Watch schedules when the worker starts'),

  // --- live events: GET /api/stream (api/stream/, events/) --------------------------------
  SSE_HEARTBEAT_SECONDS: positive
    .max(300)
    .default(20)
    .describe('A comment line on every open event stream this often, so proxies and clients see an idle stream is alive'),
  SSE_MAX_CONNECTIONS_PER_USER: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(5)
    .describe('Event streams one user may hold open at once, across every API process (one more is a 429)'),
  SSE_REPLAY_EVENTS: z.coerce
    .number()
    .int()
    .min(10)
    .max(100_000)
    .default(1000)
    .describe(
      'Events kept per audience (each user, Trend Watch, the admins) in Redis for clients that reconnect with Last-Event-ID; an older id gets a reset event',
    ),
  SSE_TICKET_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(300)
    .default(30)
    .describe('Life of a single-use stream ticket (POST /api/stream/ticket, for EventSource, which cannot send headers)'),
  SSE_MAX_BUFFER_BYTES: z.coerce
    .number()
    .int()
    .min(4096)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024)
    .describe(
      'Bytes an event stream may have waiting for a slow client; past it the stream is dropped (the client resumes with Last-Event-ID)',
    ),
  SSE_RECHECK_SECONDS: positive
    .max(60)
    .default(5)
    .describe('How often each API process checks its open streams for a logged-out session, a disabled account or a changed plan'),

  // --- platforms (a platform without credentials is served by the simulator) ---------------
  PLATFORMS_ENABLED: z
    .string()
    .default(PLATFORM_NAMES.join(','))
    .transform((s) =>
      s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(PLATFORM_NAMES)))
    .describe('Comma-separated platforms to track and discover on'),
  PLATFORM_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000).describe('Deadline for one platform HTTP call, body included'),
  PLATFORM_MAX_RESPONSE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(5 * 1024 * 1024)
    .describe('Largest platform response accepted; larger ones are refused as garbage'),
  PLATFORM_BATCH_WINDOW_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(50)
    .describe('How long the stats batcher waits to gather ids for one platform call'),
  YOUTUBE_API_KEY: z.string().optional().describe('YouTube Data API v3 key; unset = simulator'),
  YOUTUBE_API_BASE_URL: z
    .string()
    .url()
    .default('https://www.googleapis.com/youtube/v3')
    .describe('YouTube Data API base URL (point at a stub for tests/staging)'),
  YOUTUBE_DAILY_QUOTA_UNITS: z.coerce
    .number()
    .int()
    .min(1)
    .default(10_000)
    .describe('YouTube units per day (reset at midnight Pacific time)'),
  YOUTUBE_DAILY_SEARCH_CALLS: z.coerce.number().int().min(0).default(100).describe('search.list calls per day (a separate bucket)'),
  TIKTOK_CLIENT_KEY: z.string().optional().describe('TikTok Research API client key (approved researchers only); unset = simulator'),
  TIKTOK_CLIENT_SECRET: z.string().optional().describe('TikTok Research API client secret'),
  TIKTOK_API_BASE_URL: z.string().url().default('https://open.tiktokapis.com').describe('TikTok API base URL'),
  TIKTOK_DAILY_REQUESTS: z.coerce.number().int().min(1).default(1000).describe('Research API requests per day'),
  TIKTOK_DAILY_RECORDS: z.coerce.number().int().min(1).default(100_000).describe('Research API records per day'),
  TIKTOK_REGION_CODES: z.string().default('US').describe('Comma-separated region codes for TikTok discovery'),
  INSTAGRAM_ACCESS_TOKEN: z
    .string()
    .optional()
    .describe("Instagram Graph API token of the operator's professional account; unset = simulator"),
  INSTAGRAM_USER_ID: z
    .string()
    .optional()
    .describe("The operator's own Instagram professional account id (business discovery runs through it)"),
  INSTAGRAM_API_BASE_URL: z.string().url().default('https://graph.facebook.com').describe('Instagram Graph API base URL'),
  INSTAGRAM_API_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/)
    .default('v25.0')
    .describe('Graph API version'),
  SIMULATOR_SEED: z.coerce.number().int().default(42).describe('Seed of the simulated world (same seed, same world)'),
  SIMULATOR_CREATORS: z.coerce
    .number()
    .int()
    .min(3)
    .max(100_000)
    .default(1500)
    .describe('Creators per simulated platform (enough that one discovery call sees a small part of the world)'),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  /** True when the log output should be pretty-printed. */
  logPretty: boolean;
  /** APP_DATABASE_URL or its default. */
  appDatabaseUrl: string;
}

/** The role the API and worker connect as; created by the row-level security migration. */
export const APP_DB_ROLE = 'blogger_app';

function withUser(url: string, user: string, password = ''): string {
  const u = new URL(url);
  u.username = user;
  u.password = encodeURIComponent(password);
  return u.toString();
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses an environment (process.env by default); throws ConfigError naming every bad key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}\nSee .env.example for every key.`);
  }
  const cfg = parsed.data;
  if (cfg.NODE_ENV === 'production' && !cfg.JWT_SECRET) {
    throw new ConfigError('Invalid configuration:\n  - JWT_SECRET: required in production (at least 32 random characters)');
  }
  if (cfg.NODE_ENV === 'production' && cfg.WEBHOOKS_ALLOW_LOCAL_TARGETS) {
    throw new ConfigError(
      'Invalid configuration:\n  - WEBHOOKS_ALLOW_LOCAL_TARGETS: not allowed in production (webhooks could reach the local network)',
    );
  }
  return Object.freeze({
    ...cfg,
    logPretty: cfg.LOG_PRETTY ?? cfg.NODE_ENV === 'development',
    appDatabaseUrl: cfg.APP_DATABASE_URL ?? withUser(cfg.DATABASE_URL, APP_DB_ROLE, cfg.APP_DATABASE_PASSWORD),
  });
}

/** Keys with their defaults and descriptions, for `.env.example` and the README table. */
export function describeConfig(): { key: string; default: unknown; doc: string }[] {
  return Object.entries(envSchema.shape).map(([key, schema]) => {
    const parsed = (schema as z.ZodType).safeParse(undefined);
    return { key, default: parsed.success ? parsed.data : undefined, doc: (schema as z.ZodType).description ?? '' };
  });
}

let cached: Config | undefined;

/** The process-wide configuration; reads `.env` in the project root once, if present. */
export function getConfig(): Config {
  if (!cached) {
    const dotenv = path.join(PROJECT_ROOT, '.env');
    if (existsSync(dotenv)) process.loadEnvFile(dotenv);
    cached = loadConfig();
  }
  return cached;
}
