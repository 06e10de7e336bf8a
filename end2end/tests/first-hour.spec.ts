import AxeBuilder from '@axe-core/playwright';
import { Browser, expect, Page, test, TestInfo } from '@playwright/test';
import { admin, hydrated, open, signIn, standard, uniqueEmail } from './helpers';

// A newcomer's first hour, as an administrator at a desk and a standard user on a phone: sign
// in, register (wrong, then right), watch the sync, open every tab, ship an order, add a user
// and a token, and disconnect. Every screen is kept as a screenshot and checked with axe.
const shop = { handle: 'firsthour', name: 'First Hour Goods' };
const credentials = {
  key: 'e2ekey000000000000000000000000ac',
  password: 'shpat_e2e0000000000000000000000000acme',
  secret: 'shpss_e2e000000000000000000000000acme',
};
const desk = { width: 1440, height: 900 };
const phone = { width: 390, height: 844 };

test.describe.configure({ mode: 'serial' });
// The first hour runs hydrated: the no-JavaScript project covers the forms elsewhere.
test.skip(({ javaScriptEnabled }) => javaScriptEnabled === false, 'hydrated only');

let storeId = '';

async function page(browser: Browser, who: { email: string; password: string }, viewport: { width: number; height: number }, testInfo: TestInfo) {
  const page = await (await browser.newContext({ viewport })).newPage();
  await signIn(page, who, testInfo);
  return page;
}

/** Keeps the screen as a test artefact, checks it with axe, and that nothing scrolls sideways. */
async function screen(page: Page, name: string, testInfo: TestInfo) {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(serious, name).toEqual([]);
  const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(scroll, `${name} scrolls sideways`).toBeLessThanOrEqual(inner);
}

test('an administrator at a desk registers a store (wrong, then right) and watches it sync, with counts that rise and no guess of time left', async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  const p = await page(browser, admin, desk, testInfo);
  await screen(p, 'desk-stores-empty', testInfo);
  await p.getByRole('link', { name: 'ADD STORE' }).click();
  await p.getByRole('link', { name: 'Shopify' }).click();
  await hydrated(p);
  // One list of permissions, the same as the store's Permissions tab checks, write included.
  const needed = p.getByRole('table', { name: 'Permissions the app needs' });
  await expect(needed.getByRole('row').filter({ hasText: 'Merchant-managed fulfillment orders (write)' })).toContainText('Optional');
  await expect(needed.getByRole('row').filter({ hasText: /^Orders/ }).first()).toContainText('Required');
  await expect(p.getByText('it is checked on the first webhook delivery')).toBeVisible();
  await screen(p, 'desk-add-store', testInfo);

  // A wrong password is refused beside its field, and nothing is added.
  await p.getByLabel('Store URL').fill(shop.handle);
  await p.getByLabel('API Key').fill(credentials.key);
  await p.getByLabel('API Password').fill('shpat_wrong0000000000000000000000000000');
  await p.getByLabel('Shared Secret').fill(credentials.secret);
  await p.getByRole('button', { name: 'REGISTER' }).click();
  await expect(p.getByRole('alert')).toContainText('Shopify rejected the API password');
  await screen(p, 'desk-add-store-refused', testInfo);
  await p.getByLabel('API Password').fill(credentials.password);
  await p.getByRole('button', { name: 'REGISTER' }).click();

  // Back on the stores, a line says what happened; the counts rise while the sync runs.
  await expect(p.getByRole('status').filter({ hasText: `Connected ${shop.name}.` })).toBeVisible();
  const row = p.getByRole('row').filter({ hasText: `${shop.handle}.myshopify.com` });
  const bar = row.getByRole('progressbar', { name: `Sync progress of ${shop.name}` });
  await expect(bar).toBeVisible();
  const summaries: string[] = [];
  const orders = row.getByRole('cell').nth(4);
  // While the bar still shows, the orders count is already above 0.
  await expect.poll(async () => {
    summaries.push((await row.locator('.live .note').textContent().catch(() => '')) ?? '');
    const count = Number(((await orders.textContent()) ?? '0').replace(/,/g, ''));
    return count > 0 && await bar.count() > 0;
  }, { timeout: 60_000 }).toBe(true);
  await expect(bar).toHaveCount(0, { timeout: 90_000 });
  for (const summary of summaries) {
    // A total is given only once it is known: never "2 of 2" while Shopify still prepares.
    if (summary.includes('preparing')) expect(summary).not.toMatch(/ of [\d,]+ records/);
    expect(summary).not.toContain('hours left');
  }
  await expect(row).toContainText('Connected');
  storeId = (await row.getByRole('link', { name: shop.name, exact: true }).getAttribute('href'))!.split('/').pop()!;
  await screen(p, 'desk-stores-synced', testInfo);
  await p.close();
});

test('every tab of the store says what is true, in words, and finds what is searched', async ({ browser }, testInfo) => {
  test.setTimeout(90_000);
  const p = await page(browser, admin, desk, testInfo);
  await open(p, `/stores/${storeId}`, testInfo);
  await expect(p.getByRole('status').first()).toContainText('Synchronized');
  // The chart where the eye finds it, with its axes; one list by date, location a column.
  const chart = p.getByRole('region', { name: 'Orders per day' });
  await expect(chart.getByRole('img')).toBeVisible();
  await expect(chart.locator('.y-axis')).toContainText('Orders');
  const list = p.getByRole('table', { name: 'Orders awaiting shipping' });
  for (const column of ['Order', 'Date', 'Ship to', 'Shipping method', 'Location', 'Items to ship']) {
    await expect(list.getByRole('columnheader', { name: column, exact: true })).toBeVisible();
  }
  await p.getByRole('link', { name: 'Next' }).click();
  await expect(p.getByRole('link', { name: 'Previous' })).toBeVisible();
  await p.getByRole('link', { name: 'Previous' }).click();
  await expect(p.getByRole('link', { name: 'Previous' })).toHaveCount(0);
  await screen(p, 'desk-orders', testInfo);

  await p.getByRole('link', { name: 'Products', exact: true }).click();
  await expect(p.getByRole('heading', { name: /^Products \(/ })).toBeVisible();
  const products = p.getByRole('table', { name: 'Products' });
  const sku = ((await products.getByRole('cell').nth(1).textContent()) ?? '').split(',')[0].trim();
  expect(sku).not.toBe('');
  await expect(products.getByRole('columnheader', { name: 'Stock' })).toBeVisible();
  await p.getByLabel('Search').fill(sku);
  await p.getByRole('button', { name: 'Search' }).click();
  await expect(p.getByRole('heading', { name: 'Products (1)' })).toBeVisible();
  await screen(p, 'desk-products', testInfo);
  await p.getByRole('link', { name: 'Customers', exact: true }).click();
  await expect(p.getByRole('heading', { name: /^Customers \(/ })).toBeVisible();
  await p.getByLabel('Search').fill('zzz-nobody');
  await p.getByRole('button', { name: 'Search' }).click();
  await expect(p.getByRole('status').filter({ hasText: 'Nothing matches.' })).toBeVisible();
  await screen(p, 'desk-customers', testInfo);
  await p.getByRole('link', { name: 'Locations', exact: true }).click();
  await screen(p, 'desk-locations', testInfo);
  await p.getByRole('link', { name: 'Sync and webhooks' }).click();
  const sync = p.getByRole('region', { name: 'Synchronization' });
  await expect(sync).toBeVisible();
  // No internal names, and one unit.
  const text = (await p.locator('main').textContent()) ?? '';
  expect(text).not.toMatch(/fulfillment_orders|inventory_levels|orders\/create| objects/);
  await screen(p, 'desk-sync', testInfo);
  await p.getByRole('link', { name: 'Permissions', exact: true }).click();
  await expect(p.getByRole('row').filter({ hasText: 'Merchant-managed fulfillment orders (write)' })).toBeVisible();
  await screen(p, 'desk-permissions', testInfo);
  await p.close();
});

test('marking an order shipped shows every error at once beside its field, then confirms it at the top with the filters kept', async ({ browser }, testInfo) => {
  test.setTimeout(60_000);
  const p = await page(browser, standard, desk, testInfo);
  await open(p, `/stores/${storeId}`, testInfo);
  // A location filter, which the way back keeps.
  const location = (await p.getByLabel('Location').locator('option').nth(1).textContent())!;
  await p.getByLabel('Location').selectOption(location);
  await p.getByRole('button', { name: 'Search' }).click();
  await expect(p).toHaveURL(/location=/);
  const mark = p.getByRole('link', { name: /^Mark #\d+ shipped$/ }).first();
  const box = await mark.boundingBox();
  expect(box!.height, 'Mark shipped is a target at least 40 pixels tall').toBeGreaterThanOrEqual(40);
  const order = (await mark.getAttribute('aria-label'))!.replace(/^Mark | shipped$/g, '');
  await mark.click();
  await expect(p.getByRole('heading', { name: `Mark ${order} shipped` })).toBeVisible();
  await hydrated(p);
  // The carrier's name is asked for only for Other.
  await expect(p.getByLabel("Carrier's name")).toBeHidden();
  await p.getByLabel('Carrier', { exact: true }).selectOption('Other');
  await expect(p.getByLabel("Carrier's name")).toBeVisible();
  // The checkbox sits beside its label, on one line.
  const check = p.getByLabel('Email the customer the tracking');
  const label = p.locator('label.check');
  const [a, b] = [await check.boundingBox(), await label.boundingBox()];
  expect(Math.abs((a!.y + a!.height / 2) - (b!.y + b!.height / 2))).toBeLessThan(6);
  // Three mistakes at once: no carrier's name, no tracking number, more than remains.
  await p.getByLabel('Tracking number').fill('');
  const quantity = p.getByRole('spinbutton').first();
  await quantity.fill('99');
  await p.getByRole('button', { name: 'Mark shipped' }).click();
  await expect(p.getByRole('alert')).toHaveCount(3);
  await expect(p.getByRole('alert').filter({ hasText: "Enter the carrier's name" })).toBeVisible();
  await expect(p.getByRole('alert').filter({ hasText: 'Enter the tracking number' })).toBeVisible();
  await expect(p.getByRole('alert').filter({ hasText: /remain/ })).toBeVisible();
  await screen(p, 'desk-ship-errors', testInfo);
  await p.getByLabel("Carrier's name").fill('Local Courier');
  await p.getByLabel('Tracking number').fill('LC-000123');
  await quantity.fill((await quantity.getAttribute('value'))!);
  await p.getByRole('button', { name: 'Mark shipped' }).click();
  // Back at the list, at the top, the filter kept, a line naming the order and its state.
  const line = p.getByRole('status').filter({ hasText: `Marked ${order} shipped: Local Courier LC-000123` });
  await expect(line).toBeVisible();
  await expect(line).toBeInViewport();
  await expect(p.getByLabel('Location')).toHaveValue(location);
  await expect(line).toContainText('Sent to the store', { timeout: 20_000 });
  await screen(p, 'desk-shipped', testInfo);
  await p.close();
});

test('an administrator adds a user and a token: the form clears, the token is shown once to copy, and revoking asks first', async ({ browser }, testInfo) => {
  const p = await page(browser, admin, desk, testInfo);
  await open(p, '/users', testInfo);
  const email = uniqueEmail('packer', testInfo);
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Initial password').fill('a packer password');
  await p.getByRole('button', { name: 'Create user' }).click();
  await expect(p.getByRole('status').filter({ hasText: `Created ${email}.` })).toBeVisible();
  await expect(p.getByLabel('Email')).toHaveValue('');
  await expect(p.getByRole('cell', { name: email, exact: true })).toBeVisible();
  await screen(p, 'desk-users', testInfo);
  await open(p, '/tokens', testInfo);
  await p.getByLabel('Name').fill('First hour printer');
  await p.getByRole('button', { name: 'Create token' }).click();
  await expect(p.getByRole('button', { name: 'Copy' })).toBeVisible();
  await expect(p.getByRole('status')).toContainText('will not show it again');
  const row = p.getByRole('table', { name: 'API tokens' }).getByRole('row').filter({ hasText: 'First hour printer' });
  await expect(row).toContainText('starts with slk_');
  await screen(p, 'desk-tokens', testInfo);
  await row.getByRole('link', { name: 'Revoke First hour printer' }).click();
  await expect(p.getByRole('heading', { name: 'Revoke “First hour printer”?' })).toBeVisible();
  await screen(p, 'desk-token-revoke', testInfo);
  await p.getByRole('button', { name: 'Revoke “First hour printer”' }).click();
  await expect(row).toContainText('Revoked');
  await p.close();
});

test('a standard user on a phone sees cards, whole words, and only what they may do', async ({ browser }, testInfo) => {
  const p = await page(browser, standard, phone, testInfo);
  await screen(p, 'phone-stores', testInfo);
  // The domain is on one line, not broken inside a word.
  const domain = p.getByText(`${shop.handle}.myshopify.com`, { exact: true });
  const box = await domain.boundingBox();
  const lineHeight = await domain.evaluate((e) => parseFloat(getComputedStyle(e).lineHeight) || 20);
  expect(box!.height).toBeLessThan(lineHeight * 1.5);
  // Pages for administrators' work say so, with nothing to click.
  await open(p, `/stores/${storeId}/disconnect`, testInfo);
  await expect(p.getByText('Only administrators can disconnect stores.')).toBeVisible();
  await expect(p.getByRole('button', { name: /Disconnect/ })).toHaveCount(0);
  await screen(p, 'phone-disconnect-refused', testInfo);
  await open(p, '/tokens', testInfo);
  await expect(p.getByText('Only administrators can create or revoke API tokens.')).toBeVisible();
  await expect(p.getByRole('button', { name: 'Create token' })).toHaveCount(0);
  await open(p, '/users', testInfo);
  await expect(p.getByText('Only administrators can manage users.')).toBeVisible();
  await open(p, `/stores/${storeId}`, testInfo);
  await screen(p, 'phone-orders', testInfo);
  await open(p, `/stores/${storeId}/shipments`, testInfo);
  await screen(p, 'phone-shipments', testInfo);
  await p.close();
});

test('an administrator on a phone disconnects the store: it says so, takes no shipment, and is removed', async ({ browser }, testInfo) => {
  const p = await page(browser, admin, phone, testInfo);
  await open(p, '/audit', testInfo);
  await screen(p, 'phone-audit', testInfo);
  await open(p, '/users', testInfo);
  await screen(p, 'phone-users', testInfo);
  await open(p, '/', testInfo);
  await p.getByRole('link', { name: `Disconnect ${shop.name}` }).click();
  await p.getByRole('button', { name: `Disconnect ${shop.name}` }).click();
  await expect(p.getByRole('status').filter({ hasText: `Disconnected ${shop.name}.` })).toBeVisible();
  const reconnect = p.getByRole('link', { name: `Reconnect ${shop.name}` });
  const remove = p.getByRole('link', { name: `Remove ${shop.name}` });
  const [r, m] = [await reconnect.boundingBox(), await remove.boundingBox()];
  expect(r!.height).toBeGreaterThanOrEqual(40);
  expect(m!.height).toBeGreaterThanOrEqual(40);
  // Apart, not touching.
  expect(m!.x >= r!.x + r!.width + 4 || m!.y >= r!.y + r!.height + 4).toBe(true);
  await screen(p, 'phone-stores-disconnected', testInfo);
  await open(p, `/stores/${storeId}`, testInfo);
  await expect(p.getByRole('status').filter({ hasText: `${shop.name} is disconnected` })).toBeVisible();
  await expect(p.getByRole('link', { name: /^Mark #\d+ shipped$/ })).toHaveCount(0);
  await expect(p.getByRole('link', { name: 'Reconnect' })).toBeVisible();
  await expect(p).toHaveTitle(`${shop.name} · storelink`);
  await screen(p, 'phone-store-disconnected', testInfo);
  // The reconnect page says what it is.
  await p.getByRole('link', { name: 'Reconnect' }).click();
  await expect(p).toHaveTitle(`Reconnect ${shop.handle}.myshopify.com · storelink`);
  await expect(p.getByRole('heading', { level: 1 })).toHaveText(`Reconnect ${shop.handle}.myshopify.com`);
  await open(p, '/', testInfo);
  await remove.click();
  await p.getByRole('button', { name: `Remove ${shop.name}` }).click();
  await expect(p.getByRole('status').filter({ hasText: 'The store and everything synchronized from it were removed.' })).toBeVisible();
  storeId = '';
  await p.close();
});

// Whatever failed above, leave no store behind for the specs that expect an empty list.
test.afterAll(async ({ browser }, testInfo) => {
  if (!storeId) return;
  const p = await browser.newPage();
  await signIn(p, admin, testInfo);
  const headers = { origin: new URL(p.url()).origin };
  await p.request.post('/api/stores/disconnect', { form: { store_id: storeId }, headers });
  await p.request.post('/api/stores/remove', { form: { store_id: storeId }, headers });
  await p.close();
});
