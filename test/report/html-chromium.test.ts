// The HTML report in a real browser: Debian's chromium, headless, through playwright-core
// (never a downloaded browser). Renders the report of pan-lab a06 + a03 as the CLI writes it,
// checks the DOM (health rows, matrix cells, cards, the chart, the flow table's sorting and
// filtering), that the page asked for nothing but its own file, and saves screenshots in .tmp/
// (docs/html-report.png is one of them, committed). Skipped, saying why, without Chromium.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { analyzeCaptures } from '../../src/analyze.js';
import { renderHtml } from '../../src/report/html.js';
import { fixtureSummary } from './fixture.js';

const REPO = resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env.PANTAP_CHROMIUM ?? '/usr/bin/chromium';
const OUT = join(REPO, '.tmp');
const why = existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run installs it)`;

describe.skipIf(why !== null)(`HTML report in headless Chromium${why ? ` (skipped: ${why})` : ''}`, () => {
  let browser: BrowserContext;
  let page: Page;
  let profile: string;
  const requests: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    const a = await analyzeCaptures(['fixtures/pan-lab/a06_failures.pcap', 'fixtures/pan-lab/a03_panorama.pcap'], { workers: 0 }); // relative to the repository, vitest's root
    mkdirSync(OUT, { recursive: true });
    const file = join(OUT, 'html-report.html');
    writeFileSync(file, renderHtml(a.summary));
    profile = mkdtempSync(join(tmpdir(), 'pantap-chromium-'));
    const { chromium } = await import('playwright-core');
    // The profile directory is Chromium's --user-data-dir (playwright passes it).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    page = await browser.newPage();
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
    });
    await page.goto(`file://${file}`);
    await page.waitForFunction('window.pantapReady === true', null, { timeout: 10_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('loads with no script error and asks for nothing but its own file', () => {
    expect(errors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
  });

  it('shows the health list as DOM text, failing first', async () => {
    expect(await page.textContent('#health-title')).toBe('Health — 7 FAILING, 1 partial, 10 up');
    const rows = await page.$$eval('#health tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows.length).toBe(18);
    expect(rows[0]).toEqual(['FAILING', '443/tcp Web interface / VM information source', '10.99.1.10 → 10.99.1.2', '1', '1', '0', 'refused', '—', '2026-11-25 16:15:13 +00:00']);
    expect(rows[7]).toEqual(['partial', '3978/tcp Panorama ↔ device', '10.99.1.1 → 10.99.1.5', '2', '1', '0', 'refused', '2026-11-25 16:14:34 +00:00', '2026-11-25 16:15:13 +00:00']);
    expect(rows[17][0]).toBe('up');
  });

  it('colours the matrix cells by status', async () => {
    const cells = await page.$$eval('#matrix tbody tr', (trs) =>
      trs.map((tr) => [tr.querySelector('th')!.textContent, [...tr.querySelectorAll('td')].filter((td) => td.dataset.status !== 'not-seen').map((td) => `${td.dataset.entry}=${td.dataset.status}:${td.textContent}`)]),
    );
    expect(cells.length).toBe(13);
    expect(cells[0]).toEqual(['10.99.1.1', ['panorama.device-mgmt.3978=partial:3', 'user-id.agent-mapping.5007=failing:1']]);
    expect(cells[2][0]).toBe('10.99.1.5 (panorama)');
    const colour = await page.evaluate('getComputedStyle(document.querySelector(\'#matrix td[data-status="failing"]\')).backgroundColor');
    expect(colour).toBe('rgb(198, 40, 40)');
    expect(await page.$$eval('#matrix thead th.ch', (ths) => ths.length)).toBe(14);
  });

  it('has a card per device with its role and channels', async () => {
    expect(await page.$$eval('#cards .card', (c) => c.length)).toBe(13);
    const card = await page.$eval('#cards .card[data-address="10.99.1.5"]', (c) => (c as unknown as { innerText: string }).innerText);
    expect(card).toContain('Role: panorama — inferred');
    expect(card).toContain('3978/tcp Panorama ↔ device — server for 10.99.1.1, 10.99.1.7 — refused');
    expect(card).toMatch(/UP \(7\)/i);
  });

  it('draws the timeline with uPlot on a canvas', async () => {
    expect(await page.$$eval('#timeline .uplot canvas', (c) => c.length)).toBe(1);
    const w = await page.$eval('#timeline canvas', (c) => (c as unknown as { width: number }).width);
    expect(w).toBeGreaterThan(500);
  });

  it('sorts the flow table when a header is clicked, and filters it', async () => {
    const col = (i: number) => page.$$eval('#flows tbody tr:not([hidden])', (trs, k) => trs.map((tr) => tr.querySelectorAll('td')[k].textContent), i);
    expect(await col(11)).toEqual(['518', '518', '408', '128', '128', '128']);
    await page.click('#flows th:nth-child(12)');
    expect(await col(11)).toEqual(['128', '128', '128', '408', '518', '518']);
    expect(await page.getAttribute('#flows th:nth-child(12)', 'aria-sort')).toBe('ascending');
    await page.click('#flows th:nth-child(12)');
    expect(await col(11)).toEqual(['518', '518', '408', '128', '128', '128']);
    await page.click('#flows th:nth-child(4)');
    expect(await col(3)).toEqual(['10.99.1.1', '10.99.1.2', '10.99.1.2', '10.99.1.5', '10.99.1.99', '10.99.2.2']);
    await page.fill('#flow-filter', 'ICMP');
    expect(await col(3)).toEqual(['10.99.1.2']);
    // A substring of the row's text (10.99.1.10 and the details match too), still sorted by server.
    await page.fill('#flow-filter', '10.99.1.1');
    expect(await col(1)).toEqual(['10.99.1.40', '10.99.1.10', '10.99.1.1', '10.99.1.1']);
    expect(await col(3)).toEqual(['10.99.1.1', '10.99.1.2', '10.99.1.5', '10.99.1.99']);
    await page.fill('#flow-filter', '');
    expect((await col(1)).length).toBe(6);
  });

  it('shows a hostile detail as text: no element, no script run', async () => {
    const hostile = '</script><script>alert(1)</script><img src=x onerror=alert(2)><b>bold</b>';
    const s = fixtureSummary();
    s.flows.find((f) => f.verdict === 'failed')!.detail = hostile;
    const file = join(OUT, 'html-report-hostile.html');
    writeFileSync(file, renderHtml(s));
    const p = await browser.newPage();
    const dialogs: string[] = [];
    p.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await p.goto(`file://${file}`);
    await p.waitForFunction('window.pantapReady === true', null, { timeout: 10_000 });
    const details = await p.$$eval('#flows tbody tr td:last-child', (tds) => tds.map((td) => td.textContent));
    expect(details.filter((d) => d!.startsWith(hostile)).length).toBe(1);
    expect(await p.$$eval('#flows img, #flows b', (x) => x.length)).toBe(0);
    expect(dialogs).toEqual([]);
    await p.close();
  });

  it('saves screenshots', async () => {
    await page.screenshot({ path: join(OUT, 'html-report-full.png'), fullPage: true });
    await page.screenshot({ path: join(OUT, 'html-report.png'), clip: { x: 0, y: 0, width: 1400, height: 1580 }, fullPage: true });
    await page.locator('#timeline').screenshot({ path: join(OUT, 'html-report-timeline.png') });
    expect(existsSync(join(OUT, 'html-report.png'))).toBe(true);
  });
});
