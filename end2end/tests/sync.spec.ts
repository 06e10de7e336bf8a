import { expect, test } from '@playwright/test';
import { admin, emulatorURL, hydrated, open, removeStoreIfLeft, signIn, standard } from './helpers';

const slow = { handle: 'slow', name: 'Slow Lane Goods' };

test('a new store synchronizes with live progress that every browser sees', async ({ page, browser }, testInfo) => {
  test.setTimeout(120_000);
  const count = async (resource: string) => (await (await page.request.get(`${emulatorURL}/admin/api/2026-07/${resource}`, {
    headers: { host: `${slow.handle}.myshopify.com`, 'x-shopify-access-token': 'shpat_e2e0000000000000000000000000acme' },
  })).json()).count as number;
  const expected = { count: await count('orders/count.json?status=any') };
  const products = await count('products/count.json');

  await signIn(page, admin, testInfo);
  await page.getByRole('link', { name: 'ADD STORE' }).click();
  await page.getByRole('link', { name: 'Shopify' }).click();
  await hydrated(page);
  await page.getByLabel('Store URL').fill(slow.handle);
  await page.getByLabel('API Key').fill('e2ekey000000000000000000000000ac');
  await page.getByLabel('API Password').fill('shpat_e2e0000000000000000000000000acme');
  await page.getByLabel('Shared Secret').fill('shpss_e2e000000000000000000000000acme');
  await page.getByRole('button', { name: 'REGISTER' }).click();

  const bar = page.getByRole('progressbar', { name: `Sync progress of ${slow.name}` });
  await expect(bar).toBeVisible();

  // A standard user watches the store's page: Shopify prepares the orders, then they are
  // stored, live (Shopify's count of the lines it writes is not records, so it is not shown).
  const watcher = await browser.newPage();
  await signIn(watcher, standard, testInfo);
  await watcher.getByRole('link', { name: slow.name, exact: true }).click();
  await hydrated(watcher);
  await watcher.getByRole('link', { name: 'Sync and webhooks' }).click();
  const ordersPart = watcher.getByRole('region', { name: 'Synchronization' }).getByRole('row')
    .filter({ has: watcher.getByRole('rowheader', { name: 'Orders', exact: true }) });
  await expect(ordersPart).toContainText('Shopify is preparing the records');

  // The administrator's Stores page shows the bar moving, and the store's page the same phases.
  const first = Number(await bar.getAttribute('value'));
  await expect.poll(async () => Number(await bar.getAttribute('value'))).toBeGreaterThan(first);
  await page.getByRole('link', { name: slow.name, exact: true }).click();
  await hydrated(page);
  await page.getByRole('link', { name: 'Sync and webhooks' }).click();
  const ordersRow = page.getByRole('region', { name: 'Synchronization' }).getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: 'Orders', exact: true }) });
  await expect(ordersRow).toContainText(/Shopify is preparing the records|Downloading Shopify's export|Importing [\d,]+ of|Done/);
  // Then the files arrive a little at a time, and each part is stored n of all, live.
  const importing = async (p: typeof page) => {
    const text = (await p.getByRole('region', { name: 'Synchronization' }).textContent()) ?? '';
    const match = text.match(/Importing ([\d,]+) of ([\d,]+)/);
    return match ? [Number(match[1].replace(/,/g, '')), Number(match[2].replace(/,/g, ''))] : [];
  };
  await expect.poll(async () => {
    const [done, total] = await importing(watcher);
    return done > 0 && done < total;
  }, { timeout: 60_000 }).toBe(true);

  // It finishes for both, each phase named in the events, and the counts equal the shop's.
  for (const p of [page, watcher]) {
    const sync = p.getByRole('region', { name: 'Synchronization' });
    await expect(p.getByRole('status').first()).toContainText('Synchronized', { timeout: 90_000 });
    await expect(sync.getByRole('listitem').filter({ hasText: 'Shopify is exporting the orders' })).toBeVisible();
    await expect(sync.getByRole('listitem').filter({ hasText: "Storing the orders from Shopify's export" })).toBeVisible();
    await open(p, '/', testInfo);
    await expect(p.getByRole('progressbar', { name: `Sync progress of ${slow.name}` })).toHaveCount(0);
    const row = p.getByRole('row').filter({ hasText: `${slow.handle}.myshopify.com` });
    await expect(row.getByRole('cell', { name: expected.count.toLocaleString('en-US'), exact: true })).toBeVisible();
  }

  // The store's page lists the open fulfillment orders in one list, each with the location that ships it.
  const locations = (await (await page.request.get(`${emulatorURL}/admin/api/2026-07/locations.json`, {
    headers: { host: `${slow.handle}.myshopify.com`, 'x-shopify-access-token': 'shpat_e2e0000000000000000000000000acme' },
  })).json()).locations.map((l: { name: string }) => l.name);
  await watcher.getByRole('link', { name: slow.name, exact: true }).click();
  await expect(watcher.getByRole('heading', { name: slow.name })).toBeVisible();
  const orders = watcher.getByRole('region', { name: /Orders awaiting shipping/ });
  const table = orders.getByRole('table', { name: 'Orders awaiting shipping' });
  const location = (await table.locator('tbody tr').first().locator('td[data-label="Location"]').textContent())?.trim();
  expect(locations).toContain(location);
  await expect(table.getByRole('row').nth(1)).toContainText('#');
  await expect(table.getByRole('row').nth(1).getByRole('listitem').first()).toContainText(/^\d+ × /);
  await expect(table.getByRole('row').nth(1)).toContainText(/\d+ g/);
  await watcher.getByRole('link', { name: 'Products', exact: true }).click();
  await expect(watcher.getByRole('region', { name: `Products (${products.toLocaleString('en-US')})` })).toBeVisible();
  await watcher.close();

  // Leave no store behind for the specs that expect an empty list.
  await open(page, '/', testInfo);
  await page.getByRole('link', { name: `Disconnect ${slow.name}` }).click();
  await page.getByRole('button', { name: `Disconnect ${slow.name}` }).click();
  await page.getByRole('link', { name: `Remove ${slow.name}` }).click();
  await page.getByRole('button', { name: `Remove ${slow.name}` }).click();
  // Back on the Stores page, so the removal has finished before the next spec looks.
  await expect(page.getByRole('heading', { name: 'Stores', exact: true })).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: `${slow.handle}.myshopify.com` })).toHaveCount(0);
});

// Whatever failed above, leave no store behind for the specs that expect an empty list.
test.afterAll(async ({ browser }, testInfo) => {
  await removeStoreIfLeft(browser, 'slow', testInfo);
});
