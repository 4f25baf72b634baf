// The customer-insights pipeline (sequential): collector -> processor ->
// analyzer. Every stage reports its progress with a line of partial output
// (the dashboard streams those lines) and returns its result, which the
// server hands to the next stage as its input.
import { sleep, seeded, pickWith, paceOf, round } from './util.js';

const THEMES = {
  delivery: {
    label: 'Delivery speed',
    good: ['arrived a day early', 'tracking was spot on', 'courier was quick and friendly'],
    bad: ['arrived a week late', 'parcel stuck in transit for days', 'no delivery updates at all'],
  },
  pricing: {
    label: 'Pricing',
    good: ['fair price for the quality', 'the annual plan is great value'],
    bad: ['too expensive since the price change', 'hidden fees at checkout', 'cheaper elsewhere'],
  },
  app: {
    label: 'App experience',
    good: ['the new app is fast and clean', 'checkout in the app takes seconds'],
    bad: ['app crashes when I open my orders', 'login keeps timing out on the app'],
  },
  support: {
    label: 'Customer support',
    good: ['support solved it in one chat', 'agent was patient and helpful'],
    bad: ['waited 40 minutes for support', 'support never answered my email'],
  },
  quality: {
    label: 'Product quality',
    good: ['excellent build quality', 'works exactly as described', 'still going strong after a year'],
    bad: ['broke after two weeks', 'material feels cheap'],
  },
};
const CHANNELS = ['app-review', 'email', 'live-chat', 'survey'];
const SPAM = 'BUY CHEAP FOLLOWERS at spam.example';

/** Stage 0: pages of raw feedback from the (simulated) feedback API. */
export async function collect(assignment, reporter) {
  const input = assignment.input ?? {};
  const rng = seeded(`${input.seed}:collect`);
  const pace = paceOf(input);
  const pages = 5;
  const records = [];
  await reporter.progress(2, `connecting to ${input.dataSource ?? 'the feedback API'}`);
  for (let page = 1; page <= pages; page += 1) {
    await sleep(pace, reporter.signal);
    const count = 36 + Math.floor(rng() * 18);
    for (let i = 0; i < count; i += 1) {
      const roll = rng();
      if (roll < 0.04) { records.push({ id: `r${records.length}`, ch: pickWith(rng, CHANNELS), rating: 5, text: SPAM }); continue; }
      if (roll < 0.1 && records.length > 0) { records.push({ ...records[Math.floor(rng() * records.length)] }); continue; }
      const theme = pickWith(rng, Object.keys(THEMES));
      const positive = rng() < (theme === 'delivery' || theme === 'pricing' ? 0.38 : 0.68);
      const text = pickWith(rng, positive ? THEMES[theme].good : THEMES[theme].bad);
      const rating = positive ? 4 + Math.round(rng()) : 1 + Math.floor(rng() * 2.4);
      records.push({ id: `r${records.length}`, ch: pickWith(rng, CHANNELS), rating, text: rng() < 0.3 ? `  ${text.toUpperCase()}!! ` : text });
    }
    await reporter.progress(Math.round((page / pages) * 100),
      `page ${page}/${pages}: +${count} records (${records.length} collected)`);
  }
  return { source: input.dataSource, analysisType: input.analysisType, outputFormat: input.outputFormat, seed: input.seed, pace: input.pace, records };
}

/** Stage 1: duplicates and spam out, text normalised, a theme and a sentiment per record. */
export async function processRecords(assignment, reporter) {
  const input = assignment.input ?? {};
  const pace = paceOf(input);
  const raw = Array.isArray(input.records) ? input.records : [];
  await reporter.progress(5, `received ${raw.length} raw records from the collector`);
  await sleep(pace, reporter.signal);

  const seen = new Set();
  const unique = raw.filter((r) => { const key = `${r.id}`; if (seen.has(key)) return false; seen.add(key); return true; });
  await reporter.progress(25, `removed ${raw.length - unique.length} duplicates`);
  await sleep(pace, reporter.signal);

  const clean = unique.filter((r) => r.text !== SPAM);
  await reporter.progress(45, `dropped ${unique.length - clean.length} spam messages`);
  await sleep(pace, reporter.signal);

  const normalised = clean.map((r) => ({ ...r, text: r.text.trim().toLowerCase().replace(/!+$/, '') }));
  await reporter.progress(65, `normalised ${normalised.length} records (case, whitespace, punctuation)`);
  await sleep(pace, reporter.signal);

  const tagged = normalised.map((r) => {
    const theme = Object.keys(THEMES).find((t) => [...THEMES[t].good, ...THEMES[t].bad].some((x) => x.toLowerCase() === r.text)) ?? 'other';
    return { theme, ch: r.ch, sentiment: round((r.rating - 3) / 2), text: r.text };
  });
  const counts = {};
  for (const r of tagged) counts[r.theme] = (counts[r.theme] ?? 0) + 1;
  const summary = Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${n}`).join(', ');
  await reporter.progress(100, `tagged themes: ${summary}`);
  return { source: input.source, seed: input.seed, pace: input.pace, records: tagged };
}

/** Stage 2: segments by theme with share and sentiment, the headline last. */
export async function analyze(assignment, reporter) {
  const input = assignment.input ?? {};
  const pace = paceOf(input);
  const records = Array.isArray(input.records) ? input.records : [];
  await reporter.progress(5, `training the segment model on ${records.length} records`);
  await sleep(pace, reporter.signal);

  const groups = new Map();
  for (const r of records) {
    if (!groups.has(r.theme)) groups.set(r.theme, []);
    groups.get(r.theme).push(r);
  }
  const segments = [...groups.entries()]
    .map(([theme, rows]) => {
      const sentiment = round(rows.reduce((s, r) => s + r.sentiment, 0) / rows.length);
      const worst = [...rows].sort((a, b) => (sentiment < 0 ? a.sentiment - b.sentiment : b.sentiment - a.sentiment))[0];
      return { theme, label: THEMES[theme]?.label ?? theme, count: rows.length, share: round(rows.length / records.length, 3), sentiment, quote: worst?.text ?? '' };
    })
    .sort((a, b) => b.count - a.count);

  for (let i = 0; i < segments.length; i += 1) {
    const s = segments[i];
    await sleep(pace * 0.7, reporter.signal);
    await reporter.progress(10 + Math.round(((i + 1) / segments.length) * 80),
      `${s.label}: ${Math.round(s.share * 100)}% of feedback, sentiment ${s.sentiment > 0 ? '+' : ''}${s.sentiment.toFixed(2)} (“${s.quote}”)`);
  }
  const overall = round(records.reduce((s, r) => s + r.sentiment, 0) / Math.max(1, records.length));
  const promoters = records.filter((r) => r.sentiment >= 0.9).length;
  const detractors = records.filter((r) => r.sentiment <= 0).length;
  const nps = Math.round(((promoters - detractors) / Math.max(1, records.length)) * 100);
  const weakest = [...segments].sort((a, b) => a.sentiment - b.sentiment)[0];
  const strongest = [...segments].sort((a, b) => b.sentiment - a.sentiment)[0];
  const headline = weakest && strongest
    ? `${strongest.label} delights customers; ${weakest.label.toLowerCase()} is the top complaint (${Math.round(weakest.share * 100)}% of feedback).`
    : 'Not enough feedback to segment.';
  await sleep(pace * 0.5, reporter.signal);
  await reporter.progress(100, `headline: ${headline}`);
  return { source: input.source, recordsAnalyzed: records.length, overallSentiment: overall, nps, headline, segments };
}
