import { expect, test } from '@playwright/test';
import { admin, hydrated, open, signIn } from './helpers';

/** The administrator of a second organization, which the operator created with e-commerce off
 * (serve.sh). */
const other = { email: 'other@example.com', password: 'other password 123' };

test('a user of an organization without e-commerce signs in and is told to ask their representative @no-js', async ({ page }, testInfo) => {
  await open(page, '/login', testInfo);
  await page.getByLabel('Email').fill(other.email);
  await page.getByLabel('Password').fill(other.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText(
    'E-commerce is not set up for your organization. Contact your account representative.',
  );
  await expect(page.getByRole('link', { name: 'ADD STORE' })).toHaveCount(0);
  for (const path of ['/orders', '/users']) {
    await open(page, path, testInfo);
    await expect(page.getByRole('alert')).toHaveText(
      'E-commerce is not set up for your organization. Contact your account representative.',
    );
  }
});

test("another organization's users are not among an administrator's users @no-js", async ({ page }, testInfo) => {
  await signIn(page, admin, testInfo);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
  await expect(page.getByRole('cell', { name: admin.email, exact: true })).toBeVisible();
  await expect(page.getByRole('cell', { name: other.email, exact: true })).toHaveCount(0);
});

test("a second company's administrator registers a store that only their company sees @no-js", async ({ page, browser }, testInfo) => {
  const second = { email: 'second@example.com', password: 'second password 123' };
  const shop = testInfo.project.name === 'no-javascript'
    ? { handle: 'secondconojs', name: 'Second Company Plain Shop' }
    : { handle: 'secondco', name: 'Second Company Shop' };
  await signIn(page, second, testInfo);
  await page.getByRole('link', { name: 'ADD STORE' }).click();
  await page.getByRole('link', { name: 'Shopify' }).click();
  await expect(page.getByRole('heading', { name: 'Connect a Shopify store' })).toBeVisible();
  if (testInfo.project.use.javaScriptEnabled !== false) {
    await hydrated(page);
  }
  await page.getByLabel('Store URL').fill(shop.handle);
  await page.getByLabel('API Key').fill('e2ekey000000000000000000000000ac');
  await page.getByLabel('API Password').fill('shpat_e2e0000000000000000000000000acme');
  await page.getByLabel('Shared Secret').fill('shpss_e2e000000000000000000000000acme');
  await page.getByRole('button', { name: 'REGISTER' }).click();
  await expect(page.getByRole('heading', { name: 'Stores' })).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: `${shop.handle}.myshopify.com` })).toContainText('Connected');

  // The first company's administrator sees none of it, in the stores or the audit log.
  const theirs = await browser.newPage({ javaScriptEnabled: testInfo.project.use.javaScriptEnabled !== false });
  await signIn(theirs, admin, testInfo);
  await expect(theirs.getByText(shop.name)).toHaveCount(0);
  await theirs.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
  await expect(theirs.getByRole('heading', { name: 'Audit' })).toBeVisible();
  await expect(theirs.getByText(shop.name)).toHaveCount(0);
  await expect(theirs.getByText(second.email)).toHaveCount(0);
  await theirs.close();
});
