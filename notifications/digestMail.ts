/** The daily digest mail (activities/digest.ts gathers its content): plain text with a small HTML twin. */
import type { MailMessage } from './mailer';

export interface DigestContent {
  /** The UTC day it is sent for (YYYY-MM-DD). */
  day: string;
  windowHours: number;
  bloggers: { name: string; isActive: boolean; videosUpdated: number; lastSyncedAt: Date | null }[];
  /** More bloggers than listed. */
  moreBloggers: number;
  topVideos: { bloggerName: string; title: string | null; platform: string; views: number | null; viralScore: number }[];
  /** Live trends, strongest first; null when the plan has no Trend Watch. */
  trends: { kind: string; name: string; status: string; creatorCount: number }[] | null;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const number = (n: number | null) => (n === null ? 'unknown' : n.toLocaleString('en-US'));

export function digestMail(to: string, content: DigestContent): MailMessage {
  const sections: { title: string; lines: string[] }[] = [];
  sections.push({
    title: `Your bloggers (last ${content.windowHours} h)`,
    lines: content.bloggers.length
      ? [
          ...content.bloggers.map(
            (b) =>
              `${b.name}: ${b.videosUpdated} video${b.videosUpdated === 1 ? '' : 's'} updated${b.isActive ? '' : ' (paused)'}` +
              (b.lastSyncedAt ? `, last synced ${b.lastSyncedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC` : ', not synced yet'),
          ),
          ...(content.moreBloggers > 0 ? [`… and ${content.moreBloggers} more`] : []),
        ]
      : ['You track no bloggers yet: add one with POST /api/bloggers.'],
  });
  if (content.topVideos.length) {
    sections.push({
      title: 'Standing out (views against the blogger’s usual)',
      lines: content.topVideos.map(
        (v) => `${v.bloggerName}: "${v.title ?? 'untitled'}" on ${v.platform}, ${number(v.views)} views, ${v.viralScore.toFixed(1)}× usual`,
      ),
    });
  }
  if (content.trends) {
    sections.push({
      title: 'Trends now',
      lines: content.trends.length
        ? content.trends.map((t) => `${t.kind} "${t.name}": ${t.status}, ${t.creatorCount} creators`)
        : ['No trend is rising right now.'],
    });
  }
  const footer = 'You get this mail because the daily digest is on. Turn it off with PATCH /api/auth/me {"dailyDigest": false}.';
  const text = [
    `Blogger Analytics digest for ${content.day}`,
    ...sections.map((s) => `${s.title}\n${s.lines.map((l) => `- ${l}`).join('\n')}`),
    footer,
  ].join('\n\n');
  const html = [
    `<h2>Blogger Analytics digest for ${escapeHtml(content.day)}</h2>`,
    ...sections.map((s) => `<h3>${escapeHtml(s.title)}</h3>\n<ul>${s.lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`),
    `<p>${escapeHtml(footer)}</p>`,
  ].join('\n');
  return {
    to,
    subject: `Your Blogger Analytics digest for ${content.day}`,
    text: `${text}\n`,
    html: `<!doctype html><html><body>\n${html}\n</body></html>\n`,
  };
}
