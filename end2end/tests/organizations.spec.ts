import { expect, Page, test, TestInfo } from '@playwright/test';
import { admin, hydrated, open, signIn, uniqueEmail } from './helpers';

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

/** The operator's account (serve.sh): not a user of any organization. */
const operator = { email: 'operator@example.com', password: 'operator password 123' };

async function operatorSignIn(page: Page, testInfo: TestInfo) {
  await open(page, '/operator', testInfo);
  await expect(page.getByRole('heading', { name: 'Operator sign in' })).toBeVisible();
  await page.getByLabel('Email').fill(operator.email);
  await page.getByLabel('Password').fill(operator.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Organizations' })).toBeVisible();
  await hydrated(page);
}

/** Creates an organization on the Operator page and opens its own page. */
async function createOrganization(page: Page, name: string) {
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create organization' }).click();
  await expect(page.getByRole('status')).toHaveText(`Created ${name}. Open it to invite its first administrator.`);
  await page.getByRole('table', { name: 'Organizations' }).getByRole('link', { name, exact: true }).click();
  await expect(page.getByRole('heading', { name, exact: true })).toBeVisible();
  await hydrated(page);
}

test('the operator creates an organization whose invited administrator registers a store only it sees', async ({ page, browser }, testInfo) => {
  const company = `Third Company ${Date.now()}`;
  const boss = uniqueEmail('third', testInfo);
  await operatorSignIn(page, testInfo);
  // The operator is nobody's user: the stores are not theirs to see.
  await expect(page.getByRole('navigation', { name: 'Main' })).toHaveCount(0);
  await createOrganization(page, company);

  await page.getByLabel("Administrator's email").fill(boss);
  await page.getByRole('button', { name: 'Create invitation link' }).click();
  const link = await page.getByLabel(`Invitation link for ${boss}`).inputValue();
  expect(link).toContain('/invitation?token=');

  // The administrator opens the link in a browser of their own and chooses a password.
  const theirs = await browser.newContext();
  const bossPage = await theirs.newPage();
  await open(bossPage, new URL(link).pathname + new URL(link).search, testInfo);
  await expect(bossPage.getByRole('heading', { name: `Join ${company}` })).toBeVisible();
  await bossPage.getByLabel('Choose a password').fill('third password 123');
  await bossPage.getByRole('button', { name: 'Join and sign in' }).click();
  await expect(bossPage.getByRole('heading', { name: 'Stores' })).toBeVisible();
  await expect(bossPage.getByText(`${boss} · Administrator`)).toBeVisible();

  await bossPage.getByRole('link', { name: 'ADD STORE' }).click();
  await bossPage.getByRole('link', { name: 'Shopify' }).click();
  await expect(bossPage.getByRole('heading', { name: 'Connect a Shopify store' })).toBeVisible();
  await hydrated(bossPage);
  await bossPage.getByLabel('Store URL').fill('thirdco');
  await bossPage.getByLabel('API Key').fill('e2ekey000000000000000000000000ac');
  await bossPage.getByLabel('API Password').fill('shpat_e2e0000000000000000000000000acme');
  await bossPage.getByLabel('Shared Secret').fill('shpss_e2e000000000000000000000000acme');
  await bossPage.getByRole('button', { name: 'REGISTER' }).click();
  await expect(bossPage.getByRole('heading', { name: 'Stores' })).toBeVisible();
  await expect(bossPage.getByRole('row').filter({ hasText: 'thirdco.myshopify.com' })).toContainText('Connected');
  // Only their own store: not the first company's, nor the second's.
  await expect(bossPage.getByRole('row').filter({ hasText: '.myshopify.com' })).toHaveCount(1);

  // The link works once.
  const late = await browser.newPage();
  await open(late, new URL(link).pathname + new URL(link).search, testInfo);
  await expect(late.getByRole('alert')).toHaveText('This invitation link has been used or has expired. Ask whoever sent it for a new one.');
  await late.close();

  // A user of another organization sees none of it.
  const second = await browser.newPage();
  await signIn(second, { email: 'second@example.com', password: 'second password 123' }, testInfo);
  await expect(second.getByText('Third Company Shop')).toHaveCount(0);
  await expect(second.getByText('thirdco.myshopify.com')).toHaveCount(0);
  await second.close();

  // The operator's list counts its store and its administrator.
  await open(page, '/operator', testInfo);
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: company, exact: true }) });
  // Name, E-commerce, Stores, Users, Last sync.
  await expect(row.getByRole('cell').nth(2)).toHaveText('1');
  await expect(row.getByRole('cell').nth(3)).toHaveText('1');
  await theirs.close();
});

test('the operator turns e-commerce off, limits, renames and removes an organization, which asks for its name', async ({ page }, testInfo) => {
  const company = `Fourth Company ${Date.now()}`;
  await operatorSignIn(page, testInfo);
  await createOrganization(page, company);

  await page.getByRole('button', { name: `Turn e-commerce off for ${company}` }).click();
  await expect(page.getByRole('button', { name: `Turn e-commerce on for ${company}` })).toBeVisible();
  await expect(page.getByText('Off: its users are told it is not set up')).toBeVisible();

  await page.getByLabel('Stores').fill('2');
  await page.getByLabel('Sync jobs at once').fill('1');
  await page.getByRole('button', { name: 'Save limits' }).click();
  await expect(page.getByText('Limits saved.')).toBeVisible();
  await expect(page.getByRole('definition').filter({ hasText: '0 of 2' })).toBeVisible();

  const renamed = `${company} Ltd`;
  await page.getByLabel('New name').fill(renamed);
  await page.getByRole('button', { name: 'Rename' }).click();
  await expect(page.getByRole('heading', { name: renamed, exact: true })).toBeVisible();

  // A wrong confirmation removes nothing.
  await page.getByLabel(`Type ${renamed} to confirm`).fill('Default');
  await page.getByRole('button', { name: `Remove ${renamed}` }).click();
  await expect(page.getByRole('alert')).toHaveText(`To remove it, type its name, ${renamed}, to confirm. Nothing was removed.`);
  await expect(page.getByRole('heading', { name: renamed, exact: true })).toBeVisible();

  await page.getByLabel(`Type ${renamed} to confirm`).fill(renamed);
  await page.getByRole('button', { name: `Remove ${renamed}` }).click();
  await expect(page.getByRole('heading', { name: 'Organizations' })).toBeVisible();
  await expect(page.getByRole('link', { name: renamed, exact: true })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Second Company', exact: true })).toBeVisible();
});
