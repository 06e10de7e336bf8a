import { expect, test } from '@playwright/test';
import { admin, emulatorURL, open, signIn, standard } from './helpers';

const slow = { handle: 'slow', name: 'Slow Lane Goods' };

test('a new store synchronizes with live progress that every browser sees', async ({ page, browser }, testInfo) => {
  const expected = await (await page.request.get(`${emulatorURL}/admin/api/2026-07/orders/count.json?status=any`, {
    headers: { host: `${slow.handle}.myshopify.com`, 'x-shopify-access-token': 'shpat_e2e0000000000000000000000000acme' },
  })).json();

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
  const first = Number(await bar.getAttribute('value'));
  await expect.poll(async () => Number(await bar.getAttribute('value'))).toBeGreaterThan(first);

  // A standard user's browser sees the same progress, live.
  const watcher = await browser.newPage();
  await signIn(watcher, standard, testInfo);
  const theirBar = watcher.getByRole('progressbar', { name: `Sync progress of ${slow.name}` });
  await expect(theirBar).toBeVisible();
  const theirs = Number(await theirBar.getAttribute('value'));
  await expect.poll(async () => Number(await theirBar.getAttribute('value'))).toBeGreaterThan(theirs);

  // A reload mid-sync picks the live view up again.
  await page.reload();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await expect(bar).toBeVisible();

  // It finishes, and the counts equal the shop's.
  for (const p of [page, watcher]) {
    await expect(p.getByRole('progressbar', { name: `Sync progress of ${slow.name}` })).toHaveCount(0, { timeout: 90_000 });
    const row = p.getByRole('row').filter({ hasText: `${slow.handle}.myshopify.com` });
    await expect(row.getByRole('cell', { name: String(expected.count), exact: true })).toBeVisible();
  }

  // The store's page lists the open orders that await shipping first.
  await watcher.getByRole('link', { name: slow.name }).click();
  await expect(watcher.getByRole('heading', { name: slow.name })).toBeVisible();
  await expect(watcher.getByRole('status').first()).toContainText('Synchronized');
  const orders = watcher.getByRole('region', { name: /Orders awaiting shipping/ });
  await expect(orders.getByRole('row').nth(1)).toContainText('#');
  await expect(watcher.getByRole('region', { name: /Products \(300\)/ })).toBeVisible();
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
