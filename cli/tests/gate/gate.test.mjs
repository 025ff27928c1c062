// The gate page in headless Chromium, driven by playwright-core; run by cli/tests/gate_browser.rs
// with the gate's URL, an accepted and a revoked CC1 code, and a Y4M video of the accepted
// code's QR for Chromium's fake camera. Any failed check throws: the process exits non-zero.
//
//   CROSSCODE_PLAYWRIGHT_CORE  the playwright-core package folder (cargo xtask test installs it)
//   GATE_URL                   http://127.0.0.1:PORT of `crosscode checkpoint serve`
//   GATE_ACCEPT_PAYLOAD        a code the gate accepts
//   GATE_REJECT_PAYLOAD        a code the gate refuses at Status (revoked)
//   GATE_FAKE_VIDEO            the .y4m the fake camera plays
//   GATE_CHROMIUM              the Chromium executable (/usr/bin/chromium)
//   GATE_SCREENSHOTS           (optional) a folder to write gate-accept.png, gate-reject.png
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';

const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} is not set`);
  return value;
};
const require = createRequire(import.meta.url);
const { chromium } = require(env('CROSSCODE_PLAYWRIGHT_CORE'));
const url = env('GATE_URL');
const screenshots = process.env.GATE_SCREENSHOTS;

const GREEN = 'rgb(27, 127, 42)';
const RED = 'rgb(198, 40, 40)';

const browser = await chromium.launch({
  executablePath: env('GATE_CHROMIUM'),
  args: [
    '--no-sandbox',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${env('GATE_FAKE_VIDEO')}`,
  ],
});

/** Waits until the verdict area reads `text` (the gate answered). */
async function verdictIs(page, text, timeout) {
  await page.waitForFunction(
    (expected) => document.querySelector('[data-testid="verdict"]').textContent === expected,
    text,
    { timeout },
  );
}

const background = (locator) =>
  locator.evaluate((element) => getComputedStyle(element).backgroundColor);

try {
  const context = await browser.newContext({ viewport: { width: 820, height: 640 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const external = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(url)) external.push(request.url());
  });
  await page.goto(url);
  const verdict = page.getByTestId('verdict');
  const reason = page.getByTestId('reason');
  const claims = page.getByTestId('claims');
  const field = page.getByTestId('payload');
  assert.equal(await verdict.textContent(), 'READY');
  await page.waitForFunction(
    () => document.querySelector('[data-testid="freshness"]').textContent.includes('as of height'),
    null,
    { timeout: 15000 },
  );

  // The handheld scanner types into the focused field and sends Enter.
  assert.ok(await field.evaluate((element) => element === document.activeElement), 'the field has the focus');
  await page.keyboard.type(env('GATE_ACCEPT_PAYLOAD'));
  await page.keyboard.press('Enter');
  await verdictIs(page, 'ACCEPT', 15000);
  assert.equal(await background(verdict), GREEN);
  assert.match(await reason.textContent(), /all mandatory steps passed/);
  const shown = await claims.textContent();
  assert.match(shown, /statusColour\s*green/);
  assert.match(shown, /statusDate\s*2026-12-05/);
  assert.match(await page.getByTestId('trust').textContent(), /^status as of height \d+, time \d{4}-/);
  assert.equal(await field.inputValue(), '', 'the field is cleared for the next code');
  assert.ok(await field.evaluate((element) => element === document.activeElement), 'the field keeps the focus');
  if (screenshots) await page.screenshot({ path: path.join(screenshots, 'gate-accept.png') });
  console.log('scanner: ACCEPT shown in green with the disclosed claims');

  await page.keyboard.type(env('GATE_REJECT_PAYLOAD'));
  await page.keyboard.press('Enter');
  await verdictIs(page, 'REJECT', 15000);
  assert.equal(await background(verdict), RED);
  assert.match(await reason.textContent(), /^Status: .*\(REVOKED\)$/);
  assert.equal(await claims.textContent(), '', 'no claims of a refused code');
  if (screenshots) await page.screenshot({ path: path.join(screenshots, 'gate-reject.png') });
  console.log('scanner: REJECT shown in red, Status: REVOKED');

  // The camera: frames go to the gate's QR reader until a verdict comes back.
  await page.reload();
  assert.equal(await verdict.textContent(), 'READY');
  await page.getByTestId('camera').click();
  await verdictIs(page, 'ACCEPT', 30000);
  assert.equal(await background(verdict), GREEN);
  assert.match(await claims.textContent(), /statusColour\s*green/);
  assert.match(await page.getByTestId('camera-state').textContent(), /verdict shown/);
  console.log('camera: ACCEPT shown from the fake camera\'s frames');

  assert.deepEqual(external, [], 'the page loads nothing from elsewhere');
  assert.deepEqual(pageErrors, [], 'no script error on the page');
  await context.close();
} finally {
  await browser.close();
}
console.log('gate page: all checks passed');
