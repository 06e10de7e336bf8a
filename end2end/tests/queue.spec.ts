import AxeBuilder from '@axe-core/playwright';
import { Browser, expect, test, TestInfo } from '@playwright/test';
import { admin, hydrated, open, signIn, standard } from './helpers';

// One store for the whole file, registered by the first test and removed at the end.
const shop = { handle: 'queue', name: 'Queue Corner' };
const credentials = {
  'fields[store_url]': shop.handle,
  'fields[api_key]': 'e2ekey000000000000000000000000ac',
  'fields[api_password]': 'shpat_e2e0000000000000000000000000acme',
  'fields[shared_secret]': 'shpss_e2e000000000000000000000000acme',
};

test.describe.configure({ mode: 'serial' });

let storeId = '';

async function signedIn(browser: Browser, who: { email: string; password: string }, testInfo: TestInfo, viewport = { width: 1440, height: 900 }) {
  const page = await (await browser.newContext({ viewport })).newPage();
  await signIn(page, who, testInfo);
  return page;
}

test('an administrator connects a store and its orders join the desk\'s queue', async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  await signIn(page, admin, testInfo);
  const headers = { origin: new URL(page.url()).origin };
  const registered = await page.request.post('/api/stores/register', { form: { platform: 'shopify', ...credentials }, headers });
  expect(registered.ok(), await registered.text()).toBeTruthy();
  await page.reload();
  const row = page.getByRole('row').filter({ hasText: `${shop.handle}.myshopify.com` });
  await expect(row.getByRole('progressbar')).toHaveCount(0, { timeout: 60_000 });
  await expect(row).toContainText('Connected');
  storeId = (await row.getByRole('link', { name: shop.name, exact: true }).getAttribute('href'))!.split('/').pop()!;
});

test('a standard user filters the queue, marks an order shipped from it, and a second browser sees the order leave', async ({ page, browser }, testInfo) => {
  test.setTimeout(90_000);
  await signIn(page, standard, testInfo);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Orders' }).click();
  await expect(page.getByRole('heading', { name: 'Orders', exact: true })).toBeVisible();
  await hydrated(page);
  await expect(page.getByText(/The oldest order has waited/)).toBeVisible();
  await page.getByLabel('Store', { exact: true }).selectOption({ label: `${shop.name} (Shopify)` });
  await page.getByLabel('Platform').selectOption({ label: 'Shopify' });
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(new RegExp(`store=${storeId}&platform=shopify`));
  const table = page.getByRole('table', { name: 'Orders awaiting shipping' });
  const rows = table.getByRole('row').filter({ has: page.getByRole('link', { name: /^Mark #\d+ shipped$/ }) });
  await expect(rows.first()).toBeVisible();
  for (const text of await rows.allTextContents()) {
    expect(text).toContain(shop.name);
  }
  // Saved by name, with what it finds now.
  await page.getByLabel('Save this view as').fill('Queue Corner orders');
  await page.getByRole('button', { name: 'Save view' }).click();
  const views = page.getByRole('navigation', { name: 'Saved views' });
  await expect(views.getByRole('link', { name: 'Queue Corner orders' })).toHaveAttribute('href', `/orders?store=${storeId}&platform=shopify`);
  await expect(views.getByRole('listitem').filter({ hasText: 'Queue Corner orders' })).toContainText(/\(\d+\)/);

  // A second browser watches the same view, bookmarked by its address.
  const watcher = await signedIn(browser, standard, testInfo);
  await open(watcher, page.url().replace(/^https?:\/\/[^/]+/, ''), testInfo);

  const mark = rows.first().getByRole('link', { name: /^Mark #\d+ shipped$/ });
  const label = (await mark.getAttribute('aria-label'))!;
  const order = label.replace(/^Mark | shipped$/g, '');
  const watched = watcher.getByRole('link', { name: label, exact: true });
  const before = await watched.count();
  expect(before).toBeGreaterThan(0);
  await mark.click();
  await expect(page.getByRole('heading', { name: `Mark ${order} shipped` })).toBeVisible();
  await hydrated(page);
  await page.getByLabel('Carrier', { exact: true }).selectOption('UPS');
  await page.getByLabel('Tracking number').fill('1Z999AA10123456786');
  await page.getByRole('button', { name: 'Mark shipped' }).click();

  // Back on the queue as it was, with what was recorded at the top.
  await expect(page).toHaveURL(new RegExp(`/orders\\?store=${storeId}&platform=shopify&shipped=`));
  await expect(page.getByRole('status').filter({ hasText: `Marked ${order} shipped: UPS 1Z999AA10123456786.` })).toBeVisible();
  // The order has left the other browser's queue, without a reload.
  await expect(watched).toHaveCount(before - 1, { timeout: 15_000 });
  await watcher.close();
});

test('a standard user claims one order and holds another; an administrator sees who has the first and lets it go, live for the user', async ({ page, browser }, testInfo) => {
  test.setTimeout(90_000);
  await signIn(page, standard, testInfo);
  await open(page, `/orders?store=${storeId}`, testInfo);
  const table = page.getByRole('table', { name: 'Orders awaiting shipping' });
  const claims = table.getByRole('button', { name: /^Claim #\d+$/ });
  const claimed = (await claims.first().getAttribute('aria-label'))!.replace(/^Claim /, '');
  await claims.first().click();
  // Claims and holds are the order's: each of its parcels (one per location) shows them.
  const claimedRow = table.getByRole('row').filter({ has: page.getByRole('button', { name: `Release the claim on ${claimed}` }) }).first();
  await expect(claimedRow).toContainText('Claimed by you');

  // Held with a reason: it says so, and the State filter finds it.
  const other = table.getByRole('row').filter({ has: page.getByRole('button', { name: /^Claim #\d+$/ }) }).first();
  const held = (await other.getByRole('button', { name: /^Claim #\d+$/ }).getAttribute('aria-label'))!.replace(/^Claim /, '');
  await other.getByText(`Hold ${held}…`).click();
  await other.getByLabel('Reason').fill('Address check with the customer');
  // A day gone by is refused in words, and the order is not held.
  await other.getByLabel('Until (optional)').fill('2020-01-01');
  await other.getByRole('button', { name: `Hold ${held}`, exact: true }).click();
  const refused = page.getByRole('alert').filter({ hasText: 'Choose today or a later day, or leave it empty.' });
  await expect(refused).toBeVisible();
  await expect(page.getByRole('button', { name: `Release the hold on ${held}` })).toHaveCount(0);
  await other.getByLabel('Until (optional)').fill('');
  await other.getByRole('button', { name: `Hold ${held}`, exact: true }).click();
  await expect(refused).toHaveCount(0);
  const heldRow = table.getByRole('row').filter({ has: page.getByRole('button', { name: `Release the hold on ${held}` }) }).first();
  await expect(heldRow).toContainText('On hold: Address check with the customer (by standard@example.com)');
  await page.getByLabel('State').selectOption({ label: 'On hold' });
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/state=on_hold/);
  await expect(table.getByRole('link', { name: /^Mark #\d+ shipped$/ })).toHaveCount(await table.getByRole('link', { name: `Mark ${held} shipped` }).count());
  await open(page, `/orders?store=${storeId}`, testInfo);

  // An administrator sees who has the claimed one, and lets it go.
  const manager = await signedIn(browser, admin, testInfo);
  await open(manager, `/orders?store=${storeId}`, testInfo);
  const seen = manager.getByRole('row').filter({ has: manager.getByRole('button', { name: `Release the claim on ${claimed}` }) }).first();
  await expect(seen).toContainText(`Claimed by ${standard.email}`);
  await seen.getByRole('button', { name: `Release the claim on ${claimed}` }).click();
  await expect(manager.getByRole('button', { name: `Claim ${claimed}`, exact: true }).first()).toBeVisible();
  // The user's open queue shows it free again, without a reload.
  await expect(page.getByRole('button', { name: `Claim ${claimed}`, exact: true }).first()).toBeVisible({ timeout: 15_000 });
  // Released, the held one is back among the rest.
  await heldRow.getByRole('button', { name: `Release the hold on ${held}` }).click();
  await expect(page.getByRole('button', { name: `Release the hold on ${held}` })).toHaveCount(0);
  await manager.close();
});

test('a standard user selects five orders, pastes their tracking numbers, and a second browser watches them leave', async ({ page, browser }, testInfo) => {
  test.setTimeout(120_000);
  await signIn(page, standard, testInfo);
  await open(page, `/orders?store=${storeId}`, testInfo);
  await hydrated(page);
  const table = page.getByRole('table', { name: 'Orders awaiting shipping' });
  // Orders shipped from one location: a row each.
  const labels = await table.getByRole('checkbox', { name: /^Select #\d+$/ }).evaluateAll((boxes) => boxes.map((b) => b.getAttribute('aria-label')!));
  const once = labels.filter((label) => labels.indexOf(label) === labels.lastIndexOf(label)).slice(0, 5);
  expect(once).toHaveLength(5);
  const orders = once.map((label) => label.replace(/^Select /, ''));
  for (const label of once) {
    await table.getByRole('checkbox', { name: label, exact: true }).check();
  }

  // A second browser watches the same queue.
  const watcher = await signedIn(browser, standard, testInfo);
  await open(watcher, `/orders?store=${storeId}`, testInfo);
  await hydrated(watcher);
  for (const order of orders) {
    await expect(watcher.getByRole('link', { name: `Mark ${order} shipped`, exact: true })).toHaveCount(1);
  }

  await page.getByRole('button', { name: 'Mark selected shipped…' }).click();
  await expect(page.getByRole('heading', { name: 'Mark orders shipped' })).toBeVisible();
  await expect(page.getByText('5 orders chosen in the queue')).toBeVisible();
  await hydrated(page);
  const lines = page.getByLabel(/^Shipments: one line an order/);
  await expect(lines).toHaveValue(orders.map((o) => `${o},,\n`).join(''));
  // Pasted from the label software's export.
  await lines.fill(['order,carrier,tracking', ...orders.map((o, n) => `${o},UPS,1ZE2EBATCH${n}`)].join('\n'));
  await page.getByRole('button', { name: 'Check' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'All 5 orders ready to record.' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Lines of the batch' }).getByRole('row')).toHaveCount(6);
  await page.getByRole('button', { name: 'Mark 5 orders shipped' }).click();
  // Each recorded once, then sent to the store, as it happens.
  await expect(page.getByRole('status').filter({ hasText: '5 orders recorded: 5 sent to their stores, 0 failed.' })).toBeVisible({ timeout: 30_000 });
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
  expect(serious).toEqual([]);

  // They have left the other browser's queue, without a reload.
  for (const order of orders) {
    await expect(watcher.getByRole('link', { name: `Mark ${order} shipped`, exact: true })).toHaveCount(0, { timeout: 15_000 });
  }
  await watcher.close();
});

test('on a phone the queue is a list of cards, and axe finds nothing serious on it', async ({ browser }, testInfo) => {
  const page = await signedIn(browser, standard, testInfo, { width: 390, height: 844 });
  await open(page, '/orders', testInfo);
  const card = page.getByRole('table', { name: 'Orders awaiting shipping' }).getByRole('row').nth(1);
  await expect(card).toContainText(shop.name);
  const box = await card.boundingBox();
  expect(box!.width, 'a card fits the screen').toBeLessThanOrEqual(390);
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(serious).toEqual([]);
  const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(scroll, 'nothing scrolls sideways').toBeLessThanOrEqual(inner);
  await page.close();
});

// Whatever failed above, leave no store behind for the specs that expect an empty list.
test.afterAll(async ({ browser }, testInfo) => {
  if (!storeId) return;
  const page = await signedIn(browser, admin, testInfo);
  const headers = { origin: new URL(page.url()).origin };
  await page.request.post('/api/stores/disconnect', { form: { store_id: storeId }, headers });
  await page.request.post('/api/stores/remove', { form: { store_id: storeId }, headers });
  await page.close();
});
