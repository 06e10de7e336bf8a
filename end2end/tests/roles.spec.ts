import { expect, test } from '@playwright/test';
import { admin, hydrated, open, signIn, standard, uniqueEmail } from './helpers';

test('a standard user sees the store list without admin controls and with the explanatory line @no-js', async ({ page }, testInfo) => {
  await signIn(page, standard, testInfo);
  await expect(page.getByText('Only administrators can add, disconnect or remove stores; everyone records shipments.')).toBeVisible();
  await expect(page.getByText('No stores are connected yet. Ask an administrator to add one.')).toBeVisible();
  await expect(page.getByRole('link', { name: 'ADD STORE' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0);
});

test('a standard user who opens the Users URL is refused @no-js', async ({ page }, testInfo) => {
  await signIn(page, standard, testInfo);
  await open(page, '/users', testInfo);
  await expect(page.getByRole('status').filter({ hasText: 'Only administrators can manage users.' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create user' })).toHaveCount(0);
});

test('an administrator creates a standard user who can then sign in', async ({ page, browser }, testInfo) => {
  const email = uniqueEmail('packer', testInfo);
  await signIn(page, admin, testInfo);
  await open(page, '/users', testInfo);
  // An email already in use: the server's message appears beside the field.
  await page.getByLabel('Email').fill(standard.email.toUpperCase());
  await page.getByLabel('Role').selectOption('standard');
  await page.getByLabel('Initial password').fill('a good initial password');
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByText('A user with this email already exists.')).toBeVisible();
  await expect(page.getByRole('cell', { name: standard.email, exact: true })).toHaveCount(1);

  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('cell', { name: email, exact: true })).toBeVisible();

  const other = await browser.newPage();
  await signIn(other, { email, password: 'a good initial password' }, testInfo);
  await expect(other.getByText('Only administrators can add, disconnect or remove stores; everyone records shipments.')).toBeVisible();
  await other.close();
});

test('the last administrator cannot step down, and says why', async ({ page }, testInfo) => {
  await signIn(page, admin, testInfo);
  await open(page, '/users', testInfo);
  const row = page.getByRole('row').filter({ hasText: admin.email });
  await row.getByRole('button', { name: `Deactivate ${admin.email}` }).click();
  await expect(page.getByRole('alert')).toContainText('There must always be at least one active administrator.');
  await expect(row.getByRole('cell', { name: 'Active', exact: true })).toBeVisible();
});

test('a user form the server cannot read says so above its button and creates nobody @no-js', async ({ page }, testInfo) => {
  const email = uniqueEmail('stale', testInfo);
  await signIn(page, admin, testInfo);
  await open(page, '/users', testInfo);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Initial password').fill('a good initial password');
  // A page left open across an upgrade can post a form the server no longer reads.
  await page.getByLabel('Initial password').evaluate((input) => input.removeAttribute('name'));
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('alert')).toHaveText('The form could not be read. Reload the page and try again.');
  await open(page, '/users', testInfo);
  await expect(page.getByRole('cell', { name: standard.email, exact: true })).toBeVisible();
  await expect(page.getByRole('cell', { name: email, exact: true })).toHaveCount(0);
});

test('an administrator chooses the stores a standard user sees, and the user sees only those', async ({ page, browser }, testInfo) => {
  const email = uniqueEmail('limited', testInfo);
  await signIn(page, admin, testInfo);
  await open(page, '/users', testInfo);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Initial password').fill('a limited password');
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Created ${email}.` })).toBeVisible();
  const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: email, exact: true }) });
  await expect(row).toContainText('All');

  await row.getByRole('link', { name: `Choose the stores ${email} sees` }).click();
  await expect(page.getByRole('heading', { name: `Stores ${email} sees` })).toBeVisible();
  await hydrated(page);
  await expect(page.getByLabel('All stores, and any added later')).toBeChecked();
  await page.getByLabel('Only the stores checked below').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toHaveText('Saved.');
  await expect(page.getByLabel('Only the stores checked below')).toBeChecked();
  await page.getByRole('link', { name: 'Users' }).first().click();
  await expect(page.getByRole('row').filter({ has: page.getByRole('cell', { name: email, exact: true }) })).toContainText('Chosen');

  // They see no store, and the queue has nothing of any.
  const theirs = await browser.newPage();
  await signIn(theirs, { email, password: 'a limited password' }, testInfo);
  await expect(theirs.getByText('An administrator has not chosen any stores for you yet. Ask them to.')).toBeVisible();
  await open(theirs, '/orders', testInfo);
  await expect(theirs.getByRole('heading', { name: 'Orders', exact: true })).toBeVisible();
  await expect(theirs.getByText('Nothing awaits shipping.', { exact: true })).toBeVisible();
  await theirs.close();
});
