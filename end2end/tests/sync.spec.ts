import { expect, test } from '@playwright/test';
import { admin, emulatorURL, open, signIn, standard } from './helpers';

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
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await page.getByLabel('Store URL').fill(slow.handle);
  await page.getByLabel('API Key').fill('e2ekey000000000000000000000000ac');
  await page.getByLabel('API Password').fill('shpat_e2e0000000000000000000000000acme');
  await page.getByLabel('Shared Secret').fill('shpss_e2e000000000000000000000000acme');
  await page.getByRole('button', { name: 'REGISTER' }).click();

  const bar = page.getByRole('progressbar', { name: `Sync progress of ${slow.name}` });
  await expect(bar).toBeVisible();

  // A standard user watches the store's page: Shopify's export of the orders counts up live.
  const watcher = await browser.newPage();
  await signIn(watcher, standard, testInfo);
  await watcher.getByRole('link', { name: slow.name, exact: true }).click();
  await expect(watcher.locator('body[data-hydrated="true"]')).toBeAttached();
  await watcher.getByRole('link', { name: 'Sync and webhooks' }).click();
  const exported = async (p: typeof page) => {
    const row = p.getByRole('region', { name: 'Synchronization' }).getByRole('row')
      .filter({ has: p.getByRole('rowheader', { name: 'Orders', exact: true }) });
    const text = (await row.textContent()) ?? '';
    const match = text.match(/Shopify is exporting: ([\d,]+) objects so far/);
    return match ? Number(match[1].replace(/,/g, '')) : -1;
  };
  await expect.poll(() => exported(watcher)).toBeGreaterThanOrEqual(0);
  const seen = await exported(watcher);
  await expect.poll(() => exported(watcher)).toBeGreaterThan(seen);

  // The administrator's Stores page shows the bar moving, and the store's page the same phases.
  const first = Number(await bar.getAttribute('value'));
  await expect.poll(async () => Number(await bar.getAttribute('value'))).toBeGreaterThan(first);
  await page.getByRole('link', { name: slow.name, exact: true }).click();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await page.getByRole('link', { name: 'Sync and webhooks' }).click();
  const ordersRow = page.getByRole('region', { name: 'Synchronization' }).getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: 'Orders', exact: true }) });
  await expect(ordersRow).toContainText(/Shopify is exporting|Downloading Shopify's export|Importing [\d,]+ of/);
  // Then the file arrives a little at a time, and the orders are stored n of all, live.
  const importing = async (p: typeof page) => {
    const row = p.getByRole('region', { name: 'Synchronization' }).getByRole('row')
      .filter({ has: p.getByRole('rowheader', { name: 'Orders', exact: true }) });
    const match = ((await row.textContent()) ?? '').match(/Importing ([\d,]+) of ([\d,]+)/);
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
    await expect(sync.getByRole('listitem').filter({ hasText: /Storing the orders from Shopify's export \(\d+ objects\)/ }))
      .toBeVisible();
    await open(p, '/', testInfo);
    await expect(p.getByRole('progressbar', { name: `Sync progress of ${slow.name}` })).toHaveCount(0);
    const row = p.getByRole('row').filter({ hasText: `${slow.handle}.myshopify.com` });
    await expect(row.getByRole('cell', { name: expected.count.toLocaleString('en-US'), exact: true })).toBeVisible();
  }

  // The store's page lists the open fulfillment orders first, a table per location that ships them.
  const locations = (await (await page.request.get(`${emulatorURL}/admin/api/2026-07/locations.json`, {
    headers: { host: `${slow.handle}.myshopify.com`, 'x-shopify-access-token': 'shpat_e2e0000000000000000000000000acme' },
  })).json()).locations.map((l: { name: string }) => l.name);
  await watcher.getByRole('link', { name: slow.name, exact: true }).click();
  await expect(watcher.getByRole('heading', { name: slow.name })).toBeVisible();
  const orders = watcher.getByRole('region', { name: /Orders awaiting shipping/ });
  const table = orders.getByRole('table').first();
  const name = await table.getAttribute('aria-label');
  expect(locations.map((l: string) => `Shipped from ${l}`)).toContain(name);
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
