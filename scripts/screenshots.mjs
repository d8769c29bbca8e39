#!/usr/bin/env node
// The README's screenshots of the page: a desktop (1280x900) and a phone (390x844, touch) after
// a drawn 7 was proved and recorded on the demo's chain. Runs against a page that
// `./scripts/demo.sh` serves (with its chain):
//
//   node scripts/screenshots.mjs [http://127.0.0.1:8080/]     writes docs/screenshots/*.png
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { root, launchChromium, waitState, drawSeven } from '../tests/e2e/helpers.mjs';

const url = process.argv[2] || 'http://127.0.0.1:8080/';
const out = path.join(root, 'docs/screenshots');
mkdirSync(out, { recursive: true });
const browser = await launchChromium();

async function session(options, name, { record = true, fullPage = false } = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(url);
  const load = await waitState(page, 'load-status', 120_000);
  if (load.state !== 'ok') throw new Error(`the page did not load: ${load.text}`);
  await page.screenshot({ path: path.join(out, `${name}-ready.png`) });
  await drawSeven(page);
  await page.waitForFunction(() => document.querySelector('[data-testid=live-digit]').dataset.digit === '7', null, { timeout: 10_000 });
  await page.getByTestId('prove').click();
  const s = await waitState(page, 'proof-status', 180_000);
  if (s.state !== 'ok') throw new Error(`proving failed: ${s.text}`);
  await page.getByTestId('verify-page').click();
  await waitState(page, 'verify-status');
  if (record) {
    await page.getByTestId('record-onchain').click();
    const r = await waitState(page, 'record-status', 180_000);
    if (r.state !== 'ok') throw new Error(`recording failed: ${r.text}`);
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(out, `${name}-proved.png`), fullPage });
  await context.close();
}

await session({ viewport: { width: 1280, height: 900 } }, 'desktop', { fullPage: true });
await session({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 1 }, 'phone', { record: false });
await browser.close();
console.log(`wrote ${out}/{desktop,phone}-{ready,proved}.png`);
